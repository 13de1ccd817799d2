package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc64"
	"io"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// unhex decodes hex, ignoring white space and "//" comments to line ends.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var h strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "//")
		h.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(h.String())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seal appends the EOF opcode and the CRC-64 trailer to body.
func seal(body []byte) []byte {
	b := append(bytes.Clone(body), opEOF)
	return binary.LittleEndian.AppendUint64(b, crc64Update(0, b))
}

func generate(t *testing.T, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := Generate(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Generate returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.Bytes()
}

func TestCRC64CheckValue(t *testing.T) {
	// The check value printed by Redis's own crc64 test (src/crc64.c).
	if got := crc64Update(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
	if got := crc64Update(crc64Update(0, []byte("1234")), []byte("56789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("incremental crc64 = %#x", got)
	}
	// Same CRC as Go's hash/crc64 with the bit-reversed polynomial once its
	// pre- and post-inversion is undone (lengths cover its slicing-by-8 path).
	tab := crc64.MakeTable(bits.Reverse64(jonesPoly))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 64, 2047, 2048, 10000} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		if got, want := crc64Update(0, p), ^crc64.Update(^uint64(0), tab, p); got != want {
			t.Errorf("len %d: crc64Update = %#x, hash/crc64 gives %#x", n, got, want)
		}
	}
}

// An empty RDB file saved by Redis 7.2.0 (widely published, e.g. as the
// empty snapshot in CodeCrafters' "Build your own Redis"): Generate with the
// same AUX values must reproduce it byte for byte, checksum included.
func TestGenerateMatchesRedis720EmptyFile(t *testing.T) {
	want := unhex(t, `
		524544495330303131
		fa 09 72656469732d766572 05 372e322e30
		fa 0a 72656469732d62697473 c0 40
		fa 05 6374696d65 c2 6d08bc65
		fa 08 757365642d6d656d c2 b0c41000
		fa 08 616f662d62617365 c0 00
		ff f06e3bfec0ff5aa2`)
	got := generate(t, Options{RedisVersion: "7.2.0", CTime: time.Unix(1706821741, 0), UsedMem: 1098928})
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}

// A file built by hand from the format description, covering each string
// encoding the writer uses.
func TestWriteGolden(t *testing.T) {
	pairs := [][2]string{
		{"a", "1"},                        // int8
		{"n", "-1000"},                    // int16
		{"big", "70000"},                  // int32
		{"s", "007"},                      // not canonical: raw
		{"i64", "4294967296"},             // canonical but over 32 bits: raw
		{"long", strings.Repeat("x", 64)}, // 14-bit length
	}
	var buf bytes.Buffer
	n, err := write(&buf, header{redisVer: "7.2.4", ctime: 1700000000, usedMem: 1000000}, len(pairs),
		func(i int) ([]byte, []byte) { return []byte(pairs[i][0]), []byte(pairs[i][1]) })
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("write: %d, %v", n, err)
	}
	body := unhex(t, `
		5245444953 30303131                              // "REDIS" "0011"
		fa 09 72656469732d766572 05 372e322e34           // AUX redis-ver "7.2.4"
		fa 0a 72656469732d62697473 c0 40                 // AUX redis-bits int8 64
		fa 05 6374696d65 c2 00f15365                     // AUX ctime int32 1700000000
		fa 08 757365642d6d656d c2 40420f00               // AUX used-mem int32 1000000
		fa 08 616f662d62617365 c0 00                     // AUX aof-base int8 0
		fe 00                                            // SELECTDB 0
		fb 06 00                                         // RESIZEDB 6 keys, 0 expires
		00 01 61 c0 01                                   // "a" = int8 1
		00 01 6e c1 18fc                                 // "n" = int16 -1000
		00 03 626967 c2 70110100                         // "big" = int32 70000
		00 01 73 03 303037                               // "s" = "007"
		00 03 693634 0a 34323934393637323936             // "i64" = "4294967296"
		00 04 6c6f6e67 4040`+strings.Repeat("78", 64)+`  // "long" = 64 x "x"
		ff                                               // EOF`)
	want := append(body, unhex(t, "5e75f89500bab095")...) // CRC-64 of body, little endian
	if crc := crc64Update(0, body); binary.LittleEndian.Uint64(want[len(body):]) != crc {
		t.Fatalf("golden trailer is not the CRC-64 of the body (%#x)", crc)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got  %x\nwant %x", buf.Bytes(), want)
	}
	info, err := Verify(bytes.NewReader(want))
	if err != nil || info.Keys != len(pairs) || !info.FullyParsed {
		t.Fatalf("Verify: %+v, %v", info, err)
	}
}

func TestAppendLen(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want string
	}{
		{0, "00"}, {63, "3f"}, // 6 bits
		{64, "4040"}, {16383, "7fff"}, // 14 bits, big endian
		{16384, "8000004000"}, {1<<32 - 1, "80ffffffff"}, // 32 bits
		{1 << 32, "810000000100000000"}, {1<<64 - 1, "81ffffffffffffffff"}, // 64 bits
	} {
		got := appendLen(nil, c.n)
		if hex.EncodeToString(got) != c.want {
			t.Errorf("appendLen(%d) = %x, want %s", c.n, got, c.want)
		}
		p := &parser{r: bufioReader(got)}
		if n, enc, err := p.readLenEnc("len"); n != c.n || enc || err != nil {
			t.Errorf("readLenEnc(%x) = %d, %v, %v", got, n, enc, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ctime := time.Unix(1700000000, 0)
	for _, c := range []struct{ keys, size int }{
		{0, 0}, {1, 0}, {1, 1}, {10, 63}, {100, 64}, {20, 16384}, {3, 70000}, {5000, 100},
	} {
		opts := Options{Seed: "shard-0001", Keys: c.keys, ValueSize: c.size, CTime: ctime}
		b := generate(t, opts)
		info, err := Verify(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if info.Version != 11 || info.Keys != c.keys || !info.FullyParsed || info.Checksum == 0 ||
			info.Aux["redis-ver"] != "7.2.4" || info.Aux["ctime"] != "1700000000" || info.Aux["redis-bits"] != "64" {
			t.Errorf("%+v: Verify = %+v", c, info)
		}
		if minSize := c.keys * (c.size + 7); len(b) < minSize {
			t.Errorf("%+v: %d bytes, want at least %d", c, len(b), minSize)
		}
		if again := generate(t, opts); !bytes.Equal(again, b) {
			t.Errorf("%+v: Generate is not deterministic", c)
		}
		opts.Seed = "shard-0002"
		if other := generate(t, opts); c.keys > 0 && c.size > 0 && bytes.Equal(other, b) {
			t.Errorf("%+v: another seed gave the same file", c)
		}
	}
}

func TestOptionsForSize(t *testing.T) {
	for _, size := range []int64{0, 100, 1 << 10, 4 << 10, 100 << 10, 1 << 20, 8 << 20} {
		opts := OptionsForSize("s", size)
		b := generate(t, opts)
		if _, err := Verify(bytes.NewReader(b)); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		// At most size, and short of it by less than one more key.
		if size >= 1<<10 && (int64(len(b)) > size || int64(len(b)) < size-int64(opts.ValueSize+16)) {
			t.Errorf("asked %d bytes, got %d (%d keys of %d bytes)", size, len(b), opts.Keys, opts.ValueSize)
		}
	}
}

func TestGenerateRejectsNegative(t *testing.T) {
	if _, err := Generate(io.Discard, Options{Keys: -1}); err == nil {
		t.Error("Keys -1 accepted")
	}
}

func TestCorruptByteIsChecksumMismatch(t *testing.T) {
	b := generate(t, Options{Seed: "x", Keys: 20, ValueSize: 100})
	for _, at := range []int{len(b) / 2, len(b) - 1, len(b) - 8} { // a value, the trailer
		c := bytes.Clone(b)
		c[at] ^= 0x01
		_, err := Verify(bytes.NewReader(c))
		if !errors.Is(err, ErrChecksum) || !strings.HasPrefix(err.Error(), "rdb: checksum mismatch: file says 0x") {
			t.Errorf("byte %d flipped: err = %v", at, err)
		}
	}
}

func TestTruncated(t *testing.T) {
	b := generate(t, Options{Seed: "x", Keys: 3, ValueSize: 70})
	for n := range len(b) {
		_, err := Verify(bytes.NewReader(b[:n]))
		if !errors.Is(err, ErrTruncated) || !strings.HasPrefix(err.Error(), "rdb: truncated") {
			t.Fatalf("first %d of %d bytes: err = %v", n, len(b), err)
		}
	}
}

func TestTrailingData(t *testing.T) {
	b := append(generate(t, Options{Keys: 1}), 0)
	if _, err := Verify(bytes.NewReader(b)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v", err)
	}
}

func TestChecksumZeroMeansDisabled(t *testing.T) {
	b := generate(t, Options{Keys: 2, ValueSize: 5})
	clear(b[len(b)-8:])
	info, err := Verify(bytes.NewReader(b))
	if err != nil || info.Checksum != 0 || !info.FullyParsed {
		t.Errorf("Verify = %+v, %v", info, err)
	}
}

func TestBadMagicAndVersion(t *testing.T) {
	good := generate(t, Options{Keys: 1})
	for _, c := range []struct{ head, err string }{
		{"RADIS0011", "rdb: bad magic"},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00", "rdb: bad magic"},
		{"REDIS00x1", `rdb: bad magic: version "00x1" is not a number`},
		{"REDIS0099", "rdb: unsupported version 99"},
		{"REDIS0000", "rdb: unsupported version 0"},
		{"VALKEY080", "rdb: unsupported version 80"}, // Valkey 9.0
	} {
		b := append([]byte(c.head), good[9:]...)
		if _, err := Verify(bytes.NewReader(b)); err == nil || err.Error() != c.err {
			t.Errorf("%q: err = %v, want %s", c.head, err, c.err)
		}
		if _, err := VerifyHeader(b); err == nil || err.Error() != c.err {
			t.Errorf("VerifyHeader(%q): err = %v, want %s", c.head, err, c.err)
		}
	}
	for v := 1; v <= 12; v++ {
		head := []byte("REDIS00" + string(rune('0'+v/10)) + string(rune('0'+v%10)))
		if got, err := VerifyHeader(head); got != v || err != nil {
			t.Errorf("VerifyHeader(%q) = %d, %v", head, got, err)
		}
	}
	if _, err := VerifyHeader([]byte("REDIS00")); !errors.Is(err, ErrTruncated) {
		t.Errorf("short header: err = %v", err)
	}
}

// Every opcode Verify knows, in a file built by hand.
func TestVerifyAllOpcodes(t *testing.T) {
	body := unhex(t, `
		524544495330303132                      // "REDIS0012"
		fa 01 61 c3 06 09 0261626380 02         // AUX "a" = LZF "abcabcabc"
		fa 01 62 c1 ffff                        // AUX "b" = int16 -1
		fa 01 63 c2 00000080                    // AUX "c" = int32 -2147483648
		f7 8123456789abcdef 02 02              // MODULE_AUX id, when (uint) 2
		   01 05  02 4001  03 00000000           //   sint 5, uint 1, float
		   04 0000000000000000  05 02 6869  00   //   double, string "hi", EOF
		f5 03 666f6f                            // FUNCTION2 "foo"
		fe 01                                   // SELECTDB 1
		fb 03 01                                // RESIZEDB 3 1
		f4 05 03 01                             // SLOT_INFO slot 5: 3 keys, 1 expire
		fc 0000000000000000                     // EXPIRETIME_MS
		f8 3f                                   // IDLE 63
		00 01 6b c3 05 06 0178794001            // "k" = LZF "xyxyxy" (skipped)
		fd 00000000  f9 05                      // EXPIRETIME, FREQ
		00 c0 07 800000000178                   // key int8 7 = 32-bit length "x"
		00 02 6b32 00                           // "k2" = ""`)
	info, err := Verify(bytes.NewReader(seal(body)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != 12 || info.Keys != 3 || !info.FullyParsed ||
		info.Aux["a"] != "abcabcabc" || info.Aux["b"] != "-1" || info.Aux["c"] != "-2147483648" {
		t.Errorf("Verify = %+v", info)
	}
}

// Values Verify does not walk: it still checks EOF and the checksum.
func TestVerifyNonStringValue(t *testing.T) {
	body := unhex(t, `
		524544495330303131 fe 00 fb 02 00
		00 01 61 01 62                          // "a" = "b"
		01 01 6c 02 01 78 01 79                 // "l" = list "x" "y" (not walked)`)
	b := seal(body)
	info, err := Verify(bytes.NewReader(b))
	if err != nil || info.FullyParsed || info.Keys != 1 || info.Checksum == 0 {
		t.Errorf("Verify = %+v, %v", info, err)
	}
	c := bytes.Clone(b)
	c[len(body)-3] ^= 0x40
	if _, err := Verify(bytes.NewReader(c)); !errors.Is(err, ErrChecksum) {
		t.Errorf("corrupt list: err = %v", err)
	}
	noEOF := binary.LittleEndian.AppendUint64(bytes.Clone(body), crc64Update(0, body))
	if _, err := Verify(bytes.NewReader(noEOF)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("no EOF: err = %v", err)
	}
	if _, err := Verify(bytes.NewReader(b[:len(b)-3])); err == nil { // no way to tell it is cut
		t.Error("truncated file accepted")
	}
}

// Before RDB version 5 there was no checksum after EOF.
func TestVerifyVersion3(t *testing.T) {
	b := unhex(t, `524544495330303033 fe 00 00 03 666f6f 03 626172 ff`)
	info, err := Verify(bytes.NewReader(b))
	if err != nil || info.Version != 3 || info.Keys != 1 || info.Checksum != 0 || !info.FullyParsed {
		t.Errorf("Verify = %+v, %v", info, err)
	}
}

func TestVerifyUnknownOpcode(t *testing.T) {
	b := seal(unhex(t, `524544495330303131 30`))
	_, err := Verify(bytes.NewReader(b))
	if !errors.Is(err, ErrCorrupt) || err.Error() != "rdb: corrupt: unknown opcode or type 0x30 at offset 9" {
		t.Errorf("err = %v", err)
	}
}

func TestLZFDecompress(t *testing.T) {
	// literal "ab", then a long back reference (7+3+2 = 12 bytes, distance 2).
	got, err := lzfDecompress(unhex(t, "01 6162  e0 03 01"), 14)
	if err != nil || string(got) != "ababababababab" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, in := range []string{"01 61", "00 61 20 05", "00 61 e0", "00 61 20 00"} {
		if _, err := lzfDecompress(unhex(t, in), 3); err == nil {
			t.Errorf("lzfDecompress(%s) accepted", in)
		}
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// Verify must return, never panic, on any input.
func FuzzVerify(f *testing.F) {
	var buf bytes.Buffer
	_, _ = Generate(&buf, Options{Seed: "f", Keys: 3, ValueSize: 20})
	f.Add(buf.Bytes())
	f.Add(seal([]byte("REDIS0011\xfa\x01a\xc3\x06\x09\x02abc\x80\x02\x01\x01l\x02\x01x\x01y")))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Verify(bytes.NewReader(b))
	})
}
