package transcodetest

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// The wire forms of MediaConvert's API, the subset this server reads and writes. Field names
// are the service's.

type wireJob struct {
	Arn                string                  `json:"arn"`
	ClientRequestToken string                  `json:"clientRequestToken,omitempty"`
	CreatedAt          float64                 `json:"createdAt"`
	CurrentPhase       string                  `json:"currentPhase,omitempty"`
	ErrorCode          *int                    `json:"errorCode,omitempty"`
	ErrorMessage       string                  `json:"errorMessage,omitempty"`
	ID                 string                  `json:"id"`
	JobPercentComplete *int                    `json:"jobPercentComplete,omitempty"`
	OutputGroupDetails []wireOutputGroupDetail `json:"outputGroupDetails,omitempty"`
	Queue              string                  `json:"queue"`
	Role               string                  `json:"role"`
	Settings           json.RawMessage         `json:"settings"`
	Status             string                  `json:"status"`
	Timing             *wireTiming             `json:"timing,omitempty"`
	UserMetadata       map[string]string       `json:"userMetadata,omitempty"`
}

type wireTiming struct {
	FinishTime float64 `json:"finishTime,omitempty"`
	StartTime  float64 `json:"startTime,omitempty"`
	SubmitTime float64 `json:"submitTime,omitempty"`
}

type wireOutputGroupDetail struct {
	OutputDetails []wireOutputDetail `json:"outputDetails"`
}

type wireOutputDetail struct {
	DurationInMs int64            `json:"durationInMs"`
	VideoDetails wireVideoDetails `json:"videoDetails"`
	// paths are the files written: the event carries them (outputFilePaths), GetJob does not.
	paths []string
	// bitrate is the average bitrate, in bits per second, of a video output a job running on
	// the server's buckets wrote: its size over its duration. The event carries it
	// (videoDetails.averageBitrate), GetJob does not.
	bitrate int64
}

type wireVideoDetails struct {
	HeightInPx int `json:"heightInPx"`
	WidthInPx  int `json:"widthInPx"`
}

type jobSettings struct {
	Inputs       []jobInput    `json:"inputs"`
	OutputGroups []outputGroup `json:"outputGroups"`
}

type jobInput struct {
	FileInput     string `json:"fileInput"`
	VideoSelector *struct {
		Rotate string `json:"rotate"`
	} `json:"videoSelector"`
}

// rotate is the input's videoSelector rotate setting, "" when not set.
func (in *jobInput) rotate() string {
	if in.VideoSelector == nil {
		return ""
	}
	return in.VideoSelector.Rotate
}

type outputGroup struct {
	Name                string `json:"name"`
	OutputGroupSettings struct {
		Type              string `json:"type"`
		FileGroupSettings *struct {
			Destination string `json:"destination"`
		} `json:"fileGroupSettings"`
	} `json:"outputGroupSettings"`
	Outputs []output `json:"outputs"`
}

type output struct {
	NameModifier      string `json:"nameModifier"`
	Extension         string `json:"extension"`
	ContainerSettings struct {
		Container string `json:"container"`
	} `json:"containerSettings"`
	VideoDescription  *videoDescription  `json:"videoDescription"`
	AudioDescriptions []audioDescription `json:"audioDescriptions"`
}

type videoDescription struct {
	Width           *int   `json:"width"`
	Height          *int   `json:"height"`
	ScalingBehavior string `json:"scalingBehavior"`
	CodecSettings   struct {
		Codec        string `json:"codec"`
		H264Settings *struct {
			RateControlMode string `json:"rateControlMode"`
			Bitrate         *int   `json:"bitrate"`
			MaxBitrate      *int   `json:"maxBitrate"`
			QvbrSettings    *struct {
				QvbrQualityLevel *int `json:"qvbrQualityLevel"`
			} `json:"qvbrSettings"`
		} `json:"h264Settings"`
		FrameCaptureSettings *struct {
			FramerateNumerator   *int `json:"framerateNumerator"`
			FramerateDenominator *int `json:"framerateDenominator"`
			MaxCaptures          *int `json:"maxCaptures"`
			Quality              *int `json:"quality"`
		} `json:"frameCaptureSettings"`
	} `json:"codecSettings"`
}

type audioDescription struct {
	CodecSettings struct {
		Codec       string `json:"codec"`
		AacSettings *struct {
			Bitrate    *int   `json:"bitrate"`
			SampleRate *int   `json:"sampleRate"`
			CodingMode string `json:"codingMode"`
		} `json:"aacSettings"`
	} `json:"codecSettings"`
}

var (
	roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	// The API reference's patterns: the service checks no more of a bucket name than that
	// it is there, and reports a bucket it cannot reach when the job runs.
	fileInput = regexp.MustCompile(`^s3://([^\/]+\/+)+((([^\/]*)))$|^https?://`)
	s3Dest    = regexp.MustCompile(`^s3:\/\/`)
)

// validateCreateJob returns the service's complaints about a CreateJob request, each as
// "<JSON path>: <problem>" like MediaConvert's BadRequestException messages.
func validateCreateJob(req *createJobRequest, st *jobSettings) []string {
	var msgs []string
	bad := func(path, format string, args ...any) {
		msgs = append(msgs, path+": "+fmt.Sprintf(format, args...))
	}
	between := func(path string, v *int, lo, hi int) {
		switch {
		case v == nil:
		case *v < lo:
			bad(path, "Should be greater than or equal to %d", lo)
		case *v > hi:
			bad(path, "Should be less than or equal to %d", hi)
		}
	}
	if req.Role == "" {
		bad("/role", "Required")
	} else if !roleARN.MatchString(req.Role) {
		bad("/role", "Should match pattern %s", roleARN)
	}
	if len(req.ClientRequestToken) > 64 {
		bad("/clientRequestToken", "Should have at most 64 characters")
	}
	if req.JobTemplate != "" {
		bad("/jobTemplate", "job templates are not supported by this test server")
	}
	if len(req.Settings) == 0 {
		bad("/settings", "Required")
		return msgs
	}
	if len(st.Inputs) == 0 {
		bad("/settings/inputs", "Should have at least 1 items")
	}
	for i, in := range st.Inputs {
		p := fmt.Sprintf("/settings/inputs/%d/fileInput", i)
		if in.FileInput == "" {
			bad(p, "Required")
		} else if !fileInput.MatchString(in.FileInput) {
			bad(p, "Should match pattern ^s3://([^\\/]+\\/+)+((([^\\/]*)))$ or ^https?://")
		}
		switch r := in.rotate(); r {
		case "", "DEGREE_0", "DEGREES_90", "DEGREES_180", "DEGREES_270", "AUTO":
		default:
			bad(fmt.Sprintf("/settings/inputs/%d/videoSelector/rotate", i), "Should be one of DEGREE_0, DEGREES_90, DEGREES_180, DEGREES_270, AUTO")
		}
	}
	if len(st.OutputGroups) == 0 {
		bad("/settings/outputGroups", "Should have at least 1 items")
	}
	for gi := range st.OutputGroups {
		g := &st.OutputGroups[gi]
		gp := fmt.Sprintf("/settings/outputGroups/%d", gi)
		if g.OutputGroupSettings.Type != "FILE_GROUP_SETTINGS" {
			bad(gp+"/outputGroupSettings/type", "only FILE_GROUP_SETTINGS is supported by this test server, got %q", g.OutputGroupSettings.Type)
			continue
		}
		fg := g.OutputGroupSettings.FileGroupSettings
		if fg == nil || fg.Destination == "" {
			bad(gp+"/outputGroupSettings/fileGroupSettings/destination", "Required")
		} else if !s3Dest.MatchString(fg.Destination) {
			bad(gp+"/outputGroupSettings/fileGroupSettings/destination", "Should match pattern ^s3:\\/\\/")
		}
		if len(g.Outputs) == 0 {
			bad(gp+"/outputs", "Should have at least 1 items")
		}
		seen := map[string]int{}
		for oi := range g.Outputs {
			o := &g.Outputs[oi]
			op := fmt.Sprintf("%s/outputs/%d", gp, oi)
			if len(g.Outputs) > 1 && o.NameModifier == "" {
				bad(op+"/nameModifier", "Required when an output group has more than one output")
			}
			key := o.NameModifier + "." + o.ContainerSettings.Container
			if prev, ok := seen[key]; ok {
				bad(op+"/nameModifier", "Outputs in the same output group must have unique name modifiers: %q is also used by output %d", o.NameModifier, prev)
			}
			seen[key] = oi
			vd := o.VideoDescription
			switch o.ContainerSettings.Container {
			case "MP4":
				if vd == nil {
					bad(op+"/videoDescription", "Required for an MP4 output by this test server")
					continue
				}
				if vd.CodecSettings.Codec != "H_264" || vd.CodecSettings.H264Settings == nil {
					bad(op+"/videoDescription/codecSettings", "only H_264 with h264Settings is supported by this test server")
					continue
				}
				h := vd.CodecSettings.H264Settings
				hp := op + "/videoDescription/codecSettings/h264Settings"
				between(hp+"/bitrate", h.Bitrate, 1000, 1152000000)
				between(hp+"/maxBitrate", h.MaxBitrate, 1000, 1152000000)
				switch h.RateControlMode {
				case "QVBR":
					if h.QvbrSettings == nil || h.QvbrSettings.QvbrQualityLevel == nil {
						bad(hp+"/qvbrSettings/qvbrQualityLevel", "Required when rateControlMode is QVBR")
					} else {
						between(hp+"/qvbrSettings/qvbrQualityLevel", h.QvbrSettings.QvbrQualityLevel, 1, 10)
					}
					if h.MaxBitrate == nil {
						bad(hp+"/maxBitrate", "Required when rateControlMode is QVBR")
					}
				case "CBR", "VBR":
					if h.Bitrate == nil {
						bad(hp+"/bitrate", "Required when rateControlMode is %s", h.RateControlMode)
					}
				default:
					bad(hp+"/rateControlMode", "Should be one of CBR, VBR, QVBR")
				}
			case "RAW":
				if vd == nil || vd.CodecSettings.Codec != "FRAME_CAPTURE" || vd.CodecSettings.FrameCaptureSettings == nil {
					bad(op+"/videoDescription/codecSettings", "a RAW output needs FRAME_CAPTURE with frameCaptureSettings")
					continue
				}
				f := vd.CodecSettings.FrameCaptureSettings
				fp := op + "/videoDescription/codecSettings/frameCaptureSettings"
				between(fp+"/framerateNumerator", f.FramerateNumerator, 1, 2147483647)
				between(fp+"/framerateDenominator", f.FramerateDenominator, 1, 2147483647)
				between(fp+"/maxCaptures", f.MaxCaptures, 1, 10000000)
				between(fp+"/quality", f.Quality, 1, 100)
				if len(o.AudioDescriptions) > 0 {
					bad(op+"/audioDescriptions", "a frame capture output cannot have audio")
				}
			case "":
				bad(op+"/containerSettings/container", "Required")
			default:
				bad(op+"/containerSettings/container", "only MP4 and RAW are supported by this test server, got %q", o.ContainerSettings.Container)
			}
			if vd != nil {
				between(op+"/videoDescription/width", vd.Width, 32, 8192)
				between(op+"/videoDescription/height", vd.Height, 32, 8192)
				switch vd.ScalingBehavior {
				case "", "DEFAULT", "STRETCH_TO_OUTPUT", "FIT", "FIT_NO_UPSCALE", "FILL":
				default:
					bad(op+"/videoDescription/scalingBehavior", "Should be one of DEFAULT, STRETCH_TO_OUTPUT, FIT, FIT_NO_UPSCALE, FILL")
				}
			}
			for ai, a := range o.AudioDescriptions {
				ap := fmt.Sprintf("%s/audioDescriptions/%d/codecSettings", op, ai)
				if a.CodecSettings.Codec != "AAC" || a.CodecSettings.AacSettings == nil {
					bad(ap, "only AAC with aacSettings is supported by this test server")
					continue
				}
				between(ap+"/aacSettings/bitrate", a.CodecSettings.AacSettings.Bitrate, 6000, 1024000)
				between(ap+"/aacSettings/sampleRate", a.CodecSettings.AacSettings.SampleRate, 8000, 96000)
			}
		}
	}
	return msgs
}
