package rdb

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Options says what Generate writes. The keys and values depend only on Seed,
// Keys and ValueSize; the file is about Keys*(ValueSize+12) bytes plus ~100
// bytes of header and trailer (OptionsForSize picks them for a target size).
type Options struct {
	// Seed selects the values; the same Seed, Keys and ValueSize always give
	// the same key/value pairs.
	Seed string
	// Keys is the number of string keys ("key:0", "key:1", ...) written to
	// database 0. With 0 keys, no SELECTDB/RESIZEDB is written, as in Redis.
	Keys int
	// ValueSize is the length in bytes of each value (lower-case letters).
	ValueSize int

	// RedisVersion is the "redis-ver" AUX field; empty means "7.2.4", what
	// Valkey 7.2 and 8.x report for compatibility.
	RedisVersion string
	// CTime is the "ctime" AUX field; zero means time.Now().
	CTime time.Time
	// UsedMem is the "used-mem" AUX field; 0 means a plausible estimate.
	UsedMem int64
}

// OptionsForSize returns Options whose Generate output is about size bytes:
// from 1 KiB up, at most size and short of it by less than one key (values
// are size/256 bytes, 16 to 4096). Tiny sizes still get one key.
func OptionsForSize(seed string, size int64) Options {
	valueSize := min(max(size/256, 16), 4096)
	// Per key: type byte, key length byte, "key:", value length and value,
	// plus the decimal digits of the key number.
	perKey := 1 + 1 + 4 + int64(len(appendLen(nil, uint64(valueSize)))) + valueSize
	fileSize := func(keys int64) int64 {
		digits := keys // keys 0..keys-1 have one digit, plus one per power of 10 passed
		for p := int64(10); p < keys; p *= 10 {
			digits += keys - p
		}
		return 96 + keys*perKey + digits // 96: header, AUX fields, trailer
	}
	keys := max((size-96)/(perKey+1), 1)
	for keys > 1 && fileSize(keys) > size {
		keys--
	}
	return Options{Seed: seed, Keys: int(keys), ValueSize: int(valueSize)}
}

// header holds the AUX values written at the start of a file.
type header struct {
	redisVer string
	ctime    int64
	usedMem  int64
}

// Generate writes a valid RDB file (version 11) to w: AUX fields redis-ver,
// redis-bits, ctime, used-mem and aof-base, then, if opts.Keys > 0,
// SELECTDB 0, RESIZEDB and opts.Keys string pairs, then EOF and the CRC-64.
// Strings are stored as Redis does with rdbcompression off: integer-looking
// strings as integers, everything else raw. It returns the bytes written.
func Generate(w io.Writer, opts Options) (int64, error) {
	if opts.Keys < 0 || opts.ValueSize < 0 {
		return 0, errors.New("rdb: Keys and ValueSize must not be negative")
	}
	h := header{redisVer: opts.RedisVersion, ctime: opts.CTime.Unix(), usedMem: opts.UsedMem}
	if h.redisVer == "" {
		h.redisVer = "7.2.4"
	}
	if opts.CTime.IsZero() {
		h.ctime = time.Now().Unix()
	}
	if h.usedMem == 0 {
		h.usedMem = 1_000_000 + int64(opts.Keys)*int64(opts.ValueSize+64)
	}
	seed := sha256.Sum256([]byte("snapflow/rdb\x00" + opts.Seed))
	rng := rand.NewChaCha8(seed)
	var key []byte
	val := make([]byte, opts.ValueSize)
	pair := func(i int) ([]byte, []byte) {
		key = strconv.AppendInt(append(key[:0], "key:"...), int64(i), 10)
		_, _ = rng.Read(val) // never fails
		for j, b := range val {
			val[j] = 'a' + b%26
		}
		return key, val
	}
	return write(w, h, opts.Keys, pair)
}

// write writes a whole file with n key/value pairs taken from pair(0..n-1).
func write(w io.Writer, h header, n int, pair func(i int) (key, val []byte)) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	var crc uint64
	buf := make([]byte, 0, 256)
	// emit hashes and writes buf, returning it emptied for reuse.
	emit := func(b []byte) []byte {
		crc = crc64Update(crc, b)
		_, _ = bw.Write(b) // a write error sticks in bw and shows at Flush
		return b[:0]
	}

	buf = fmt.Appendf(buf, "REDIS%04d", Version)
	buf = appendAux(buf, "redis-ver", h.redisVer)
	buf = appendAux(buf, "redis-bits", "64")
	buf = appendAux(buf, "ctime", strconv.FormatInt(h.ctime, 10))
	buf = appendAux(buf, "used-mem", strconv.FormatInt(h.usedMem, 10))
	buf = appendAux(buf, "aof-base", "0")
	if n > 0 {
		buf = append(buf, opSelectDB)
		buf = appendLen(buf, 0)
		buf = append(buf, opResizeDB)
		buf = appendLen(buf, uint64(n))
		buf = appendLen(buf, 0) // no keys with an expiry
	}
	buf = emit(buf)
	for i := range n {
		k, v := pair(i)
		buf = append(buf, typeString)
		buf = appendString(buf, k)
		if len(v) > 4096 { // large values go out without a copy
			buf = emit(appendLen(buf, uint64(len(v))))
			emit(v)
			continue
		}
		buf = emit(appendString(buf, v))
	}
	buf = emit(append(buf, opEOF))
	_, _ = bw.Write(binary.LittleEndian.AppendUint64(buf, crc)) // not hashed
	err := bw.Flush()
	return cw.n, err
}

// countWriter counts the bytes its Writer accepted.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func appendAux(b []byte, key, val string) []byte {
	b = append(b, opAux)
	b = appendString(b, []byte(key))
	return appendString(b, []byte(val))
}

// appendLen appends n in Redis's length encoding: 00xxxxxx (6 bits),
// 01xxxxxx xxxxxxxx (14 bits, big endian), 0x80 + 4 bytes or 0x81 + 8 bytes
// (big endian).
func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= 1<<32-1:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0x81), n)
	}
}

// appendString appends s as Redis's rdbSaveRawString does without
// compression: a string of at most 11 bytes that is the canonical decimal
// form of a 32-bit integer is stored as 0xC0/0xC1/0xC2 and a little-endian
// int8/int16/int32; anything else as length + bytes.
func appendString(b []byte, s []byte) []byte {
	if len(s) <= 11 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, 0xC0|encInt8, byte(v))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, 0xC0|encInt16), uint16(v))
			case v >= -1<<31 && v < 1<<31:
				return binary.LittleEndian.AppendUint32(append(b, 0xC0|encInt32), uint32(v))
			}
		}
	}
	return append(appendLen(b, uint64(len(s))), s...)
}
