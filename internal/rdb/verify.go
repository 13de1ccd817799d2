package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxString bounds strings Verify reads into memory (AUX fields): Redis's
// default proto-max-bulk-len. Key and value payloads are skipped, not kept.
const maxString = 512 << 20

// Info describes a file checked by Verify.
type Info struct {
	// Version is the RDB version from the header.
	Version int
	// Aux holds the AUX fields (redis-ver, ctime, ...); integer-encoded
	// values are given in decimal.
	Aux map[string]string
	// Keys counts the keys walked. If FullyParsed is false it is only the
	// keys before the first value Verify could not walk.
	Keys int
	// Checksum is the CRC-64 stored in the file; 0 means the writer had
	// checksums disabled (or the version, below 5, has none).
	Checksum uint64
	// FullyParsed is true if every opcode and value up to EOF was walked.
	// It is false if Verify met a non-string value (list, hash, set, ...):
	// it then only checked that the file ends with EOF and a matching
	// checksum.
	FullyParsed bool
}

// Verify reads a whole RDB file from r and checks it: magic and version
// (1..12), every opcode, string values (other value types stop the walk, see
// Info.FullyParsed), the EOF opcode, the CRC-64 trailer (unless it is 0) and
// that nothing follows it. The Info returned describes what was read, also on
// error.
func Verify(r io.Reader) (Info, error) {
	p := &parser{r: bufio.NewReaderSize(r, 64<<10)}
	info := Info{Aux: map[string]string{}}
	hdr := make([]byte, 9)
	if err := p.readFull(hdr, "header"); err != nil {
		return info, err
	}
	v, err := VerifyHeader(hdr)
	info.Version = v
	if err != nil {
		return info, err
	}

	fully, err := p.walk(&info)
	if err != nil {
		return info, err
	}
	info.FullyParsed = fully
	trailer := 0
	if v >= 5 {
		trailer = 8
	}
	var tail []byte
	if fully {
		// The EOF byte has been read and hashed.
		tail = make([]byte, trailer)
		if _, err := io.ReadFull(p.r, tail); err != nil {
			return info, p.ioErr(err, "checksum")
		}
		if _, err := p.r.ReadByte(); err != io.EOF {
			if err != nil {
				return info, fmt.Errorf("rdb: reading after checksum: %w", err)
			}
			return info, fmt.Errorf("%w: unexpected data after checksum at offset %d", ErrCorrupt, p.off+int64(trailer))
		}
	} else if tail, err = p.drain(trailer); err != nil {
		return info, err
	}
	if trailer == 0 {
		return info, nil
	}
	info.Checksum = binary.LittleEndian.Uint64(tail)
	if info.Checksum != 0 && info.Checksum != p.crc {
		return info, fmt.Errorf("%w: file says 0x%016x, computed 0x%016x", ErrChecksum, info.Checksum, p.crc)
	}
	return info, nil
}

// walk reads opcodes and key/value pairs up to and including EOF. It returns
// false, without error, when it meets a value type it does not walk.
func (p *parser) walk(info *Info) (bool, error) {
	for {
		at := p.off
		t, err := p.readByte("opcode")
		if err != nil {
			return false, err
		}
		switch t {
		case opEOF:
			return true, nil
		case opAux:
			k, err := p.readString("AUX key")
			if err != nil {
				return false, err
			}
			v, err := p.readString("AUX value")
			if err != nil {
				return false, err
			}
			info.Aux[string(k)] = string(v)
		case opSelectDB:
			_, err = p.readLen("SELECTDB")
		case opResizeDB:
			if _, err = p.readLen("RESIZEDB"); err == nil {
				_, err = p.readLen("RESIZEDB")
			}
		case opSlotInfo:
			for i := 0; i < 3 && err == nil; i++ {
				_, err = p.readLen("SLOT_INFO")
			}
		case opExpireTimeMS:
			err = p.skip(8, "EXPIRETIME_MS")
		case opExpireTime:
			err = p.skip(4, "EXPIRETIME")
		case opIdle:
			_, err = p.readLen("IDLE")
		case opFreq:
			err = p.skip(1, "FREQ")
		case opFunction2:
			err = p.skipString("FUNCTION2")
		case opModuleAux:
			err = p.skipModuleAux()
		case typeString:
			if err = p.skipString("key"); err == nil {
				if err = p.skipString("value"); err == nil {
					info.Keys++
				}
			}
		default:
			if isObjectType(t) || t == opFunctionPreGA {
				return false, nil
			}
			return false, fmt.Errorf("%w: unknown opcode or type 0x%02x at offset %d", ErrCorrupt, t, at)
		}
		if err != nil {
			return false, err
		}
	}
}

// parser reads an RDB file, hashing every byte it consumes.
type parser struct {
	r     *bufio.Reader
	crc   uint64
	off   int64
	small [8]byte
}

// Read implements io.Reader for io.ReadFull and io.CopyN.
func (p *parser) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.crc = crc64Update(p.crc, b[:n])
	p.off += int64(n)
	return n, err
}

// ioErr turns a read error into ErrTruncated or a wrapped I/O error.
func (p *parser) ioErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w reading %s at offset %d", ErrTruncated, what, p.off)
	}
	return fmt.Errorf("rdb: reading %s at offset %d: %w", what, p.off, err)
}

func (p *parser) readFull(b []byte, what string) error {
	if _, err := io.ReadFull(p, b); err != nil {
		return p.ioErr(err, what)
	}
	return nil
}

func (p *parser) readByte(what string) (byte, error) {
	err := p.readFull(p.small[:1], what)
	return p.small[0], err
}

func (p *parser) skip(n uint64, what string) error {
	if n > 1<<62 {
		return p.ioErr(io.EOF, what) // longer than any file
	}
	if _, err := io.CopyN(io.Discard, p, int64(n)); err != nil {
		return p.ioErr(err, what)
	}
	return nil
}

// readLenEnc reads a length. If its two top bits are 11 it is no length
// but a special string encoding: enc is true and n is the encoding.
func (p *parser) readLenEnc(what string) (n uint64, enc bool, err error) {
	b, err := p.readByte(what)
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b), false, nil
	case 1:
		lo, err := p.readByte(what)
		return uint64(b&0x3F)<<8 | uint64(lo), false, err
	case 3:
		return uint64(b & 0x3F), true, nil
	}
	switch b {
	case 0x80:
		err = p.readFull(p.small[:4], what)
		return uint64(binary.BigEndian.Uint32(p.small[:4])), false, err
	case 0x81:
		err = p.readFull(p.small[:8], what)
		return binary.BigEndian.Uint64(p.small[:8]), false, err
	}
	return 0, false, fmt.Errorf("%w: bad length byte 0x%02x in %s at offset %d", ErrCorrupt, b, what, p.off-1)
}

// readLen reads a plain length (as Redis, it ignores a special-encoding flag).
func (p *parser) readLen(what string) (uint64, error) {
	n, _, err := p.readLenEnc(what)
	return n, err
}

// readString reads a string in any encoding, decompressing LZF and giving
// integers in decimal.
func (p *parser) readString(what string) ([]byte, error) {
	n, enc, err := p.readLenEnc(what)
	if err != nil {
		return nil, err
	}
	if !enc {
		return p.readBytes(n, what)
	}
	switch n {
	case encInt8:
		b, err := p.readByte(what)
		return strconv.AppendInt(nil, int64(int8(b)), 10), err
	case encInt16:
		err := p.readFull(p.small[:2], what)
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p.small[:2]))), 10), err
	case encInt32:
		err := p.readFull(p.small[:4], what)
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(p.small[:4]))), 10), err
	case encLZF:
		clen, err := p.readLen(what)
		if err != nil {
			return nil, err
		}
		ulen, err := p.readLen(what)
		if err != nil {
			return nil, err
		}
		at := p.off
		if ulen > maxString {
			return nil, fmt.Errorf("%w: %s of %d bytes at offset %d is too long", ErrCorrupt, what, ulen, at)
		}
		c, err := p.readBytes(clen, what)
		if err != nil {
			return nil, err
		}
		out, err := lzfDecompress(c, int(ulen))
		if err != nil {
			return nil, fmt.Errorf("%w: %s at offset %d: %v", ErrCorrupt, what, at, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown string encoding %d in %s at offset %d", ErrCorrupt, n, what, p.off-1)
}

// readBytes reads n bytes, growing the buffer only as data arrives so that a
// corrupt length cannot make it allocate much.
func (p *parser) readBytes(n uint64, what string) ([]byte, error) {
	if n > maxString {
		return nil, fmt.Errorf("%w: %s of %d bytes at offset %d is too long", ErrCorrupt, what, n, p.off)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, p, int64(n)); err != nil {
		return nil, p.ioErr(err, what)
	}
	return buf.Bytes(), nil
}

// skipString reads past a string in any encoding without keeping it.
func (p *parser) skipString(what string) error {
	n, enc, err := p.readLenEnc(what)
	switch {
	case err != nil:
		return err
	case !enc:
		return p.skip(n, what)
	case n == encInt8:
		return p.skip(1, what)
	case n == encInt16:
		return p.skip(2, what)
	case n == encInt32:
		return p.skip(4, what)
	case n == encLZF:
		clen, err := p.readLen(what)
		if err == nil {
			_, err = p.readLen(what) // uncompressed length
		}
		if err != nil {
			return err
		}
		return p.skip(clen, what)
	}
	return fmt.Errorf("%w: unknown string encoding %d in %s at offset %d", ErrCorrupt, n, what, p.off-1)
}

// skipModuleAux reads past MODULE_AUX data: module id, the "when" as an
// unsigned-integer module opcode, then module opcodes up to their EOF.
func (p *parser) skipModuleAux() error {
	const (
		modEOF = iota
		modSInt
		modUInt
		modFloat
		modDouble
		modString
	)
	if _, err := p.readLen("MODULE_AUX id"); err != nil {
		return err
	}
	at := p.off
	op, err := p.readLen("MODULE_AUX")
	if err != nil {
		return err
	}
	if op != modUInt {
		return fmt.Errorf("%w: MODULE_AUX when-opcode %d at offset %d", ErrCorrupt, op, at)
	}
	if _, err := p.readLen("MODULE_AUX"); err != nil {
		return err
	}
	for {
		at := p.off
		op, err := p.readLen("MODULE_AUX")
		if err != nil {
			return err
		}
		switch op {
		case modEOF:
			return nil
		case modSInt, modUInt:
			_, err = p.readLen("MODULE_AUX")
		case modFloat:
			err = p.skip(4, "MODULE_AUX")
		case modDouble:
			err = p.skip(8, "MODULE_AUX")
		case modString:
			err = p.skipString("MODULE_AUX")
		default:
			return fmt.Errorf("%w: unknown module opcode %d at offset %d", ErrCorrupt, op, at)
		}
		if err != nil {
			return err
		}
	}
}

// drain reads the rest of the file after a value Verify cannot walk. It
// hashes all but the last hold bytes (the checksum), checks the last hashed
// byte is EOF and returns the held bytes.
func (p *parser) drain(hold int) ([]byte, error) {
	buf := make([]byte, 64<<10)
	have, hashed := 0, false
	var last byte
	for {
		n, err := p.r.Read(buf[have:])
		have += n
		if have > hold {
			h := have - hold
			p.crc = crc64Update(p.crc, buf[:h])
			p.off += int64(h)
			last, hashed = buf[h-1], true
			have = copy(buf, buf[h:have])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.ioErr(err, "data")
		}
	}
	if !hashed || have < hold {
		return nil, p.ioErr(io.EOF, "EOF and checksum")
	}
	if last != opEOF {
		return nil, fmt.Errorf("%w: byte before checksum is 0x%02x, not EOF (0xff)", ErrCorrupt, last)
	}
	return buf[:hold], nil
}

// lzfDecompress expands LZF data (liblzf's format, used by Redis) to exactly
// n bytes. Each control byte c is either a literal run (c < 32: c+1 bytes
// follow) or a back reference: length c>>5 (7 means: add the next byte),
// plus 2; distance ((c&31)<<8 | next byte) + 1.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < 32 {
			if i+c+1 > len(in) || len(out)+c+1 > n {
				return nil, errors.New("lzf literal run out of bounds")
			}
			out = append(out, in[i:i+c+1]...)
			i += c + 1
			continue
		}
		length := c >> 5
		if length == 7 {
			if i >= len(in) {
				return nil, errors.New("lzf input truncated")
			}
			length += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errors.New("lzf input truncated")
		}
		ref := len(out) - (c&31)<<8 - int(in[i]) - 1
		i++
		length += 2
		if ref < 0 || len(out)+length > n {
			return nil, errors.New("lzf back reference out of bounds")
		}
		for range length { // may overlap its own output
			out = append(out, out[ref])
			ref++
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("lzf gave %d bytes, want %d", len(out), n)
	}
	return out, nil
}
