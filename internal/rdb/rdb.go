// Package rdb writes and checks Redis RDB snapshot files, the format that
// ElastiCache (Valkey / Redis OSS) and MemoryDB exports put in S3.
//
// Generate writes a small but valid RDB file made of string keys, for the
// local AWS emulator. Verify walks a whole file and checks its structure and
// trailing CRC-64 checksum; VerifyHeader checks only the 9-byte header.
//
// Layout of an RDB file (all multi-byte lengths are Redis "length encoded"):
//
//	"REDIS" + 4 ASCII digits          magic and version, e.g. "REDIS0011"
//	0xFA key value                    AUX field (any number, anywhere)
//	0xFE db                           SELECTDB
//	0xFB dbsize expiressize           RESIZEDB
//	[0xFC ms8 | 0xFD s4] type key val key/value pairs, optional expiry first
//	0xFF                              EOF
//	crc64 (8 bytes, little endian)    from version 5 on; 0 = checksum disabled
//
// Versions: Redis 7.0 writes 10, Redis 7.2 and Valkey 7.2 / 8.x write 11
// (Valkey 8 in cluster mode adds per-slot "slot-info" AUX fields), Redis 7.4+
// writes 12 (adding the SLOT_INFO opcode). Valkey 9.0 and 9.2 switched to the
// magic "VALKEY" with versions 80 and 81 ("VALKEY080"); those files are
// reported as unsupported versions.
package rdb

import (
	"errors"
	"fmt"
)

// Version is the RDB version Generate writes: 11, as Redis 7.2 and
// Valkey 7.2 / 8.x do.
const Version = 11

// MaxVersion is the highest RDB version Verify accepts (Redis 7.4+).
const MaxVersion = 12

// Errors returned (wrapped, with details) by Verify and VerifyHeader. Test
// for them with errors.Is.
var (
	ErrBadMagic           = errors.New("rdb: bad magic")
	ErrUnsupportedVersion = errors.New("rdb: unsupported version")
	ErrChecksum           = errors.New("rdb: checksum mismatch")
	ErrTruncated          = errors.New("rdb: truncated")
	ErrCorrupt            = errors.New("rdb: corrupt")
)

// Opcodes and value types, as in Redis's and Valkey's src/rdb.h.
const (
	typeString = 0 // RDB_TYPE_STRING

	opSlotInfo      = 0xF4 // Redis 7.4+: slot id, slot size, expires slot size
	opFunction2     = 0xF5 // function library (one string)
	opFunctionPreGA = 0xF6 // Redis 7.0 release candidates only
	opModuleAux     = 0xF7 // module auxiliary data
	opIdle          = 0xF8 // LRU idle time (length)
	opFreq          = 0xF9 // LFU frequency (1 byte)
	opAux           = 0xFA // AUX field: two strings
	opResizeDB      = 0xFB // two lengths
	opExpireTimeMS  = 0xFC // 8-byte little-endian milliseconds
	opExpireTime    = 0xFD // 4-byte little-endian seconds
	opSelectDB      = 0xFE // one length
	opEOF           = 0xFF
)

// Special string encodings: a length byte 11xxxxxx, xxxxxx is one of these.
const (
	encInt8  = 0 // 1-byte signed integer
	encInt16 = 1 // 2-byte little-endian signed integer
	encInt32 = 2 // 4-byte little-endian signed integer
	encLZF   = 3 // compressed length, uncompressed length, LZF data
)

// isObjectType reports whether t is a value type Redis or Valkey (up to RDB
// 12) may store; only typeString is walked by Verify.
func isObjectType(t byte) bool {
	return t <= 7 || (t >= 9 && t <= 21)
}

// VerifyHeader checks the first 9 bytes of an RDB file ("REDIS" and a 4-digit
// version) and returns the version. prefix may be longer than 9 bytes.
func VerifyHeader(prefix []byte) (version int, err error) {
	if len(prefix) < 9 {
		return 0, fmt.Errorf("%w header: %d of 9 bytes", ErrTruncated, len(prefix))
	}
	digits := prefix[5:9]
	switch {
	case string(prefix[:5]) == "REDIS":
	case string(prefix[:6]) == "VALKEY": // Valkey 9+: "VALKEY" + 3 digits
		digits = prefix[6:9]
	default:
		return 0, ErrBadMagic
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: version %q is not a number", ErrBadMagic, prefix[5:9])
		}
		version = version*10 + int(c-'0')
	}
	if version < 1 || version > MaxVersion {
		return version, fmt.Errorf("%w %d", ErrUnsupportedVersion, version)
	}
	return version, nil
}
