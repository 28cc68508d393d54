package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"time"
)

// MP4 returns a small, well-formed MP4 that Probe reads back as a w×h video lasting d, holding
// desc in a "free" box. It has no media samples: it stands in for a rendition.
func MP4(w, h int, d time.Duration, desc string) []byte {
	var b bytes.Buffer
	box(&b, "ftyp", func(b *bytes.Buffer) {
		b.WriteString("isom")
		be32(b, 512)
		b.WriteString("isomiso2avc1mp41")
	})
	ms := uint32(d / time.Millisecond)
	box(&b, "moov", func(b *bytes.Buffer) {
		box(b, "mvhd", func(b *bytes.Buffer) {
			be32(b, 0)    // version, flags
			be32(b, 0)    // creation time
			be32(b, 0)    // modification time
			be32(b, 1000) // timescale
			be32(b, ms)
			be32(b, 0x00010000) // rate
			b.Write([]byte{1, 0})
			b.Write(make([]byte, 10))
			matrix(b)
			b.Write(make([]byte, 24))
			be32(b, 2) // next track id
		})
		box(b, "trak", func(b *bytes.Buffer) {
			box(b, "tkhd", func(b *bytes.Buffer) {
				be32(b, 3) // version 0, enabled and in movie
				be32(b, 0)
				be32(b, 0)
				be32(b, 1) // track id
				be32(b, 0)
				be32(b, ms)
				b.Write(make([]byte, 8+2+2+2+2))
				matrix(b)
				be32(b, uint32(w)<<16)
				be32(b, uint32(h)<<16)
			})
			box(b, "mdia", func(b *bytes.Buffer) {
				box(b, "hdlr", func(b *bytes.Buffer) {
					be32(b, 0)
					be32(b, 0)
					b.WriteString("vide")
					b.Write(make([]byte, 12))
					b.WriteString("VideoHandler\x00")
				})
			})
		})
	})
	box(&b, "free", func(b *bytes.Buffer) { b.WriteString(desc) })
	box(&b, "mdat", func(*bytes.Buffer) {})
	return b.Bytes()
}

// JPEG returns a w×h grey JPEG with desc in a comment segment.
func JPEG(w, h int, quality int, desc string) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(0, 0, color.Gray{Y: 0})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		panic(err) // encoding to memory fails only on an invalid image, which this is not
	}
	out := b.Bytes()
	com := []byte{0xff, 0xfe, 0, 0}
	if len(desc) > 65000 {
		desc = desc[:65000]
	}
	binary.BigEndian.PutUint16(com[2:], uint16(len(desc)+2))
	com = append(com, desc...)
	// The comment goes right after the start-of-image marker.
	return append(append(append([]byte{}, out[:2]...), com...), out[2:]...)
}

func box(b *bytes.Buffer, typ string, body func(*bytes.Buffer)) {
	start := b.Len()
	be32(b, 0)
	b.WriteString(typ)
	body(b)
	binary.BigEndian.PutUint32(b.Bytes()[start:], uint32(b.Len()-start))
}

func be32(b *bytes.Buffer, v uint32) {
	var x [4]byte
	binary.BigEndian.PutUint32(x[:], v)
	b.Write(x[:])
}

func matrix(b *bytes.Buffer) {
	for _, v := range []uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
		be32(b, v)
	}
}
