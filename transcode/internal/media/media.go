// Package media recognises video containers and writes stand-in outputs, for the transcoders
// that simulate transcoding (memtranscode and transcodetest's MediaConvert server).
//
// # How an input is judged to be a video
//
// Probe reads the input once, front to back, and recognises the containers MediaConvert reads
// video from (its "Supported input formats"), by their leading bytes:
//   - ISO base media files (MP4, MOV, M4V, F4V, 3GP, 3G2): a sequence of boxes whose first is
//     "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot" or "uuid". Every box must end
//     inside the file (a truncated file fails), and there must be a "moov" and an "mdat".
//     Width, height and rotation come from the first track header ("tkhd") with a picture
//     size, the duration from the movie header ("mvhd").
//   - Matroska and WebM: the EBML magic 1A 45 DF A3.
//   - MPEG transport streams: the sync byte 0x47 every 188 bytes, or every 192 in the M2TS
//     form (a 4-byte time code before each packet).
//   - MPEG program streams (MPEG-1 system streams, MPEG-2 program streams, DVD VOBs): the
//     pack start code 00 00 01 BA.
//   - AVI: "RIFF" then "AVI ".
//   - ASF (WMV): the ASF header object's GUID.
//   - Flash video (FLV): "FLV" and version 1, with the header's video flag set; an FLV
//     without video is refused as having no video stream.
//   - MXF: the SMPTE key of a header partition pack, 06 0E 2B 34 02 05 01 01 0D 01 02 01 01.
//   - GIF (MediaConvert reads animated GIFs): "GIF87a" or "GIF89a"; the picture size comes
//     from the logical screen descriptor.
//   - Video elementary streams in no container: MPEG-1 or MPEG-2 video (a sequence header,
//     00 00 01 B3), H.264 and H.265 in Annex B form (a start code, then an H.264 sequence
//     parameter set or access unit delimiter, or an H.265 video parameter set or access unit
//     delimiter).
//
// Where the picture size and duration are not parsed, Probe reports DefaultWidth,
// DefaultHeight and DefaultDuration. Anything else, including an empty object, a photo or an
// audio-only file, is not a video. MediaConvert's packages of several files (HLS, IMF) are not
// recognised: a job of these transcoders reads one object.
//
// # Rotation
//
// A phone stores a portrait video as landscape pictures and a track header matrix that turns
// them upright. Info.Rotation is that turn, and DisplaySize the picture's size once turned,
// which is what ffmpeg and MediaConvert (with the input's Rotate set to AUTO) size outputs
// from. WithRotation writes such a matrix into an MP4.
package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Defaults reported for containers whose headers Probe does not parse.
const (
	DefaultWidth    = 1920
	DefaultHeight   = 1080
	DefaultDuration = 10 * time.Second
)

// maxMoov bounds the movie box Probe holds in memory; real ones are kilobytes to a few MiB.
const maxMoov = 64 << 20

// Info describes a recognised video.
type Info struct {
	// Container names the container, as ffprobe's demuxers do: "mp4", "matroska", "mpegts",
	// "mpeg" (program streams), "avi", "asf", "flv", "mxf", "gif", "mpegvideo", "h264" or
	// "hevc".
	Container string
	Width     int
	Height    int
	// Rotation is how far, in degrees clockwise, the picture turns to be shown upright: 0,
	// 90, 180 or 270. A matrix turning it by another angle counts as 0, as MediaConvert
	// ignores rotations more than a degree away from a right angle.
	Rotation int
	Duration time.Duration
}

// DisplaySize returns the picture's width and height once turned upright.
func (i Info) DisplaySize() (w, h int) {
	if i.Rotation%180 != 0 {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// Error is why an input is not a usable video, with the MediaConvert error code that fits.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

const (
	codeOpen   = 1010
	codeDecode = 1040
)

// Probe reads r to its end and describes the video in it, or returns an *Error.
func Probe(r io.Reader) (Info, error) {
	var head [512]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Info{}, err
	}
	h := head[:n]
	if n == 0 {
		return Info{}, &Error{codeOpen, "the input is empty"}
	}
	rest := io.MultiReader(bytes.NewReader(h), r)
	switch {
	case n >= 8 && isBoxType(h[4:8]):
		return probeMP4(rest)
	case n >= 4 && bytes.Equal(h[:4], []byte{0x1a, 0x45, 0xdf, 0xa3}):
		return drain(rest, "matroska")
	case n >= 377 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47,
		n >= 389 && h[4] == 0x47 && h[196] == 0x47 && h[388] == 0x47:
		return drain(rest, "mpegts")
	case n >= 4 && bytes.Equal(h[:4], []byte{0, 0, 1, 0xba}):
		return drain(rest, "mpeg")
	case n >= 12 && string(h[:4]) == "RIFF" && string(h[8:12]) == "AVI ":
		return drain(rest, "avi")
	case n >= 16 && bytes.Equal(h[:16], asfHeader):
		return drain(rest, "asf")
	case n >= 5 && string(h[:4]) == "FLV\x01":
		if h[4]&1 == 0 {
			return Info{}, &Error{codeOpen, MsgNoVideo}
		}
		return drain(rest, "flv")
	case n >= 13 && bytes.Equal(h[:13], mxfHeader):
		return drain(rest, "mxf")
	case n >= 10 && (string(h[:6]) == "GIF87a" || string(h[:6]) == "GIF89a"):
		info, err := drain(rest, "gif")
		if err == nil {
			info.Width, info.Height = int(binary.LittleEndian.Uint16(h[6:8])), int(binary.LittleEndian.Uint16(h[8:10]))
		}
		return info, err
	}
	if c := elementaryStream(h); c != "" {
		return drain(rest, c)
	}
	return Info{}, &Error{codeOpen, MsgUnknown}
}

var (
	// asfHeader is the GUID of ASF's header object, 75B22630-668E-11CF-A6D9-00AA0062CE6C, as
	// stored.
	asfHeader = []byte{0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c}
	// mxfHeader is the key of an MXF header partition pack, open or closed, complete or not:
	// the 14th byte, which says which, and the 15th, 16th are left out.
	mxfHeader = []byte{0x06, 0x0e, 0x2b, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0d, 0x01, 0x02, 0x01, 0x01}
)

// elementaryStream names the video elementary stream h starts, or returns "".
func elementaryStream(h []byte) string {
	var nal []byte
	switch {
	case len(h) >= 6 && bytes.Equal(h[:4], []byte{0, 0, 0, 1}):
		nal = h[4:]
	case len(h) >= 5 && bytes.Equal(h[:3], []byte{0, 0, 1}):
		nal = h[3:]
	default:
		return ""
	}
	if nal[0] == 0xb3 {
		return "mpegvideo" // a sequence header
	}
	if nal[0]&0x80 != 0 {
		return "" // H.264's and H.265's forbidden zero bit
	}
	// H.265's two-byte header: the type in bits 1-6, a layer id of 0 and a temporal id of 1.
	if t := nal[0] >> 1; (t == 32 || t == 35) && len(nal) >= 2 && nal[0]&1 == 0 && nal[1] == 1 {
		return "hevc" // a video parameter set or an access unit delimiter
	}
	if t := nal[0] & 0x1f; t == 7 || t == 9 {
		return "h264" // a sequence parameter set or an access unit delimiter
	}
	return ""
}

// MsgUnknown is the message of the error for an input in no container Probe knows.
const MsgUnknown = "no parser found for container"

// MsgNoVideo is the message of the error for an input whose container holds no video.
const MsgNoVideo = "no video stream found"

func isBoxType(t []byte) bool {
	switch string(t) {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot", "uuid":
		return true
	}
	return false
}

func drain(r io.Reader, container string) (Info, error) {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return Info{}, err
	}
	return Info{Container: container, Width: DefaultWidth, Height: DefaultHeight, Duration: DefaultDuration}, nil
}

func probeMP4(r io.Reader) (Info, error) {
	info := Info{Container: "mp4"}
	var off int64
	var sawMoov, sawMdat bool
	for {
		var hdr [8]byte
		n, err := io.ReadFull(r, hdr[:])
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			return Info{}, &Error{codeDecode, fmt.Sprintf("the input is truncated: a box header at byte %d is cut short", off)}
		}
		if err != nil {
			return Info{}, err
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		typ := string(hdr[4:8])
		hlen := int64(n)
		switch size {
		case 1:
			var ext [8]byte
			if _, err := io.ReadFull(r, ext[:]); err != nil {
				return Info{}, &Error{codeDecode, fmt.Sprintf("the input is truncated in the header of box %q at byte %d", typ, off)}
			}
			size = int64(binary.BigEndian.Uint64(ext[:]))
			hlen += 8
		case 0: // the box runs to the end of the file
			size = -1
		}
		if size != -1 && size < hlen {
			return Info{}, &Error{codeOpen, fmt.Sprintf("invalid box %q at byte %d: size %d", typ, off, size)}
		}
		switch typ {
		case "moov":
			sawMoov = true
			if size == -1 || size-hlen > maxMoov {
				return Info{}, &Error{codeOpen, fmt.Sprintf("movie box at byte %d is too large", off)}
			}
			body := make([]byte, size-hlen)
			if _, err := io.ReadFull(r, body); err != nil {
				return Info{}, &Error{codeDecode, fmt.Sprintf("the input is truncated: box %q at byte %d ends past the end of the file", typ, off)}
			}
			parseMoov(body, &info)
		default:
			if typ == "mdat" {
				sawMdat = true
			}
			if size == -1 {
				if _, err := io.Copy(io.Discard, r); err != nil {
					return Info{}, err
				}
				off = -1
				break
			}
			if m, err := io.CopyN(io.Discard, r, size-hlen); err != nil {
				if err == io.EOF {
					return Info{}, &Error{codeDecode, fmt.Sprintf("the input is truncated: box %q at byte %d has %d bytes, the file holds %d of them", typ, off, size, hlen+m)}
				}
				return Info{}, err
			}
		}
		if off == -1 {
			break
		}
		off += size
	}
	if !sawMoov {
		return Info{}, &Error{codeOpen, "no movie box (moov) found: the input is truncated or not a movie"}
	}
	if !sawMdat {
		return Info{}, &Error{codeOpen, "no media data box (mdat) found"}
	}
	if info.Width <= 0 || info.Height <= 0 {
		return Info{}, &Error{codeOpen, "no video track found"}
	}
	return info, nil
}

// boxes calls f for each box in b; it stops at the first malformed one.
func boxes(b []byte, f func(typ string, body []byte)) {
	for len(b) >= 8 {
		size := int(binary.BigEndian.Uint32(b[:4]))
		typ := string(b[4:8])
		hlen := 8
		if size == 1 {
			if len(b) < 16 {
				return
			}
			s := binary.BigEndian.Uint64(b[8:16])
			if s > uint64(len(b)) {
				return
			}
			size, hlen = int(s), 16
		} else if size == 0 {
			size = len(b)
		}
		if size < hlen || size > len(b) {
			return
		}
		f(typ, b[hlen:size])
		b = b[size:]
	}
}

func parseMoov(moov []byte, info *Info) {
	boxes(moov, func(typ string, body []byte) {
		switch typ {
		case "mvhd":
			if len(body) < 32 {
				return
			}
			var scale, dur uint64
			if body[0] == 1 {
				scale = uint64(binary.BigEndian.Uint32(body[20:24]))
				dur = binary.BigEndian.Uint64(body[24:32])
			} else {
				scale = uint64(binary.BigEndian.Uint32(body[12:16]))
				dur = uint64(binary.BigEndian.Uint32(body[16:20]))
			}
			if scale > 0 {
				info.Duration = time.Duration(float64(dur) / float64(scale) * float64(time.Second))
			}
		case "trak":
			if info.Width > 0 {
				return
			}
			boxes(body, func(typ string, body []byte) {
				if typ != "tkhd" || len(body) < 4 {
					return
				}
				m, ok := tkhdMatrix(body)
				if !ok {
					return
				}
				w := int(binary.BigEndian.Uint32(m[36:]) >> 16)
				h := int(binary.BigEndian.Uint32(m[40:]) >> 16)
				if w > 0 && h > 0 {
					info.Width, info.Height = w, h
					info.Rotation = rotation(m)
				}
			})
		}
	})
}

// tkhdMatrix returns the part of a track header's body from its matrix to its end: the
// matrix's nine 32-bit values, then the width and the height.
func tkhdMatrix(tkhd []byte) ([]byte, bool) {
	if len(tkhd) < 4 {
		return nil, false
	}
	at := 40
	if tkhd[0] == 1 {
		at = 52 // 64-bit times and duration
	}
	if len(tkhd) < at+44 {
		return nil, false
	}
	return tkhd[at : at+44], true
}

// rotation reads the clockwise turn of a matrix {a b u, c d v, x y w}: a point (p, q) shows
// at (a·p + c·q + x, b·p + d·q + y), so the turn is the angle of (a, b).
func rotation(m []byte) int {
	a := float64(int32(binary.BigEndian.Uint32(m[0:])))
	b := float64(int32(binary.BigEndian.Uint32(m[4:])))
	if a == 0 && b == 0 {
		return 0
	}
	deg := math.Atan2(b, a) * 180 / math.Pi
	if deg < 0 {
		deg += 360
	}
	right := math.Round(deg/90) * 90
	if math.Abs(deg-right) > 1 {
		return 0
	}
	return int(right) % 360
}

// WithRotation returns a copy of the MP4 mp4 whose first video track header carries the
// matrix a phone writes for a picture shown turned degrees clockwise (0, 90, 180 or 270).
func WithRotation(mp4 []byte, degrees int) ([]byte, error) {
	var a, b, c, d, x, y int32
	out := append([]byte(nil), mp4...)
	var done bool
	var w, h int32
	patch := func(tkhd []byte) {
		m, ok := tkhdMatrix(tkhd)
		if !ok || done {
			return
		}
		w, h = int32(binary.BigEndian.Uint32(m[36:])), int32(binary.BigEndian.Uint32(m[40:]))
		if w <= 0 || h <= 0 {
			return
		}
		switch degrees {
		case 0:
			a, d = 1, 1
		case 90:
			b, c, x = 1, -1, h
		case 180:
			a, d, x, y = -1, -1, w, h
		case 270:
			b, c, y = -1, 1, w
		}
		for i, v := range []int32{a << 16, b << 16, 0, c << 16, d << 16, 0, x, y, 1 << 30} {
			binary.BigEndian.PutUint32(m[4*i:], uint32(v))
		}
		done = true
	}
	switch degrees {
	case 0, 90, 180, 270:
	default:
		return nil, fmt.Errorf("media: rotation %d is not 0, 90, 180 or 270 degrees", degrees)
	}
	boxes(out, func(typ string, body []byte) {
		if typ != "moov" {
			return
		}
		boxes(body, func(typ string, body []byte) {
			if typ != "trak" {
				return
			}
			boxes(body, func(typ string, body []byte) {
				if typ == "tkhd" {
					patch(body)
				}
			})
		})
	})
	if !done {
		return nil, errors.New("media: no video track header found")
	}
	return out, nil
}

// IsProbeError reports whether err is an *Error, and returns it.
func IsProbeError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
