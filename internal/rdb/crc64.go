package rdb

import "math/bits"

// The RDB checksum is Redis's crc64 (src/crc64.c): CRC-64/Jones, polynomial
// 0xad93d23594c935a9 processed reflected (LSB first), initial value 0 and no
// final XOR. Its check value for "123456789" is 0xe9c6d914c4b8d9ca.
//
// Go's hash/crc64 uses the same reflected table layout (MakeTable wants the
// bit-reversed polynomial) but inverts the value before and after each update,
// so crc64Update(c, p) == ^crc64.Update(^c, crc64.MakeTable(bits.Reverse64(
// jonesPoly)), p). A plain table loop is used here to keep that quirk away.
const jonesPoly = 0xad93d23594c935a9

var crcTable = makeCRCTable(bits.Reverse64(jonesPoly))

func makeCRCTable(reflectedPoly uint64) *[256]uint64 {
	var t [256]uint64
	for i := range t {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ reflectedPoly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return &t
}

// crc64Update continues Redis's CRC-64 of earlier data crc over p. Start
// with 0.
func crc64Update(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc = crcTable[byte(crc)^b] ^ crc>>8
	}
	return crc
}
