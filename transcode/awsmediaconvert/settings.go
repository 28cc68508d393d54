package awsmediaconvert

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/mediaconvert/types"

	"github.com/servous/servous/transcode"
)

// audioSelector names the one audio selector every job uses.
const audioSelector = "Audio Selector 1"

// Settings returns the MediaConvert job settings Submit sends for job, with AAC at 96 kb/s
// and the input's rotation metadata honoured (Rotate AUTO), so a phone's portrait video
// gives upright outputs. The job must be valid.
func Settings(job *transcode.Job) *types.JobSettings { return settings(job, 96000) }

func settings(job *transcode.Job, audioBitrate int) *types.JobSettings {
	g := types.OutputGroup{
		Name: aws.String("File Group"),
		OutputGroupSettings: &types.OutputGroupSettings{
			Type: types.OutputGroupTypeFileGroupSettings,
			FileGroupSettings: &types.FileGroupSettings{
				Destination: aws.String("s3://" + job.Output.Bucket + "/" + job.Output.Prefix),
			},
		},
	}
	for _, r := range job.Renditions {
		g.Outputs = append(g.Outputs, rendition(&r, audioBitrate))
	}
	if th := job.Thumbnail; th != nil {
		g.Outputs = append(g.Outputs, types.Output{
			NameModifier:      aws.String(th.Name),
			ContainerSettings: &types.ContainerSettings{Container: types.ContainerTypeRaw},
			VideoDescription: &types.VideoDescription{
				Width:           dim(th.Width),
				Height:          dim(th.Height),
				ScalingBehavior: scaling(th.Width, th.Height, false),
				CodecSettings: &types.VideoCodecSettings{
					Codec: types.VideoCodecFrameCapture,
					FrameCaptureSettings: &types.FrameCaptureSettings{
						FramerateNumerator:   aws.Int32(1),
						FramerateDenominator: aws.Int32(1),
						MaxCaptures:          aws.Int32(1),
						Quality:              aws.Int32(int32(th.JPEGQuality())),
					},
				},
			},
		})
	}
	return &types.JobSettings{
		Inputs: []types.Input{{
			FileInput:      aws.String("s3://" + job.Input.Bucket + "/" + job.Input.Key),
			AudioSelectors: map[string]types.AudioSelector{audioSelector: {DefaultSelection: types.AudioDefaultSelectionDefault}},
			// MediaConvert ignores an input's rotation metadata unless told AUTO; phones
			// store portrait videos landscape with such metadata, and outputs should be
			// upright, as ffmpeg makes them.
			VideoSelector:  &types.VideoSelector{Rotate: types.InputRotateAuto},
			TimecodeSource: types.InputTimecodeSourceZerobased,
		}},
		OutputGroups: []types.OutputGroup{g},
	}
}

func rendition(r *transcode.Rendition, audioBitrate int) types.Output {
	h := &types.H264Settings{
		CodecProfile:       types.H264CodecProfileHigh,
		QualityTuningLevel: types.H264QualityTuningLevelSinglePassHq,
		SceneChangeDetect:  types.H264SceneChangeDetectTransitionDetection,
	}
	quality, bitrate := r.Mode()
	if quality > 0 {
		if bitrate == 0 {
			bitrate = maxBitrate(r.Width, r.Height)
		}
		h.RateControlMode = types.H264RateControlModeQvbr
		h.QvbrSettings = &types.H264QvbrSettings{QvbrQualityLevel: aws.Int32(int32(quality))}
		h.MaxBitrate = aws.Int32(int32(bitrate))
	} else {
		h.RateControlMode = types.H264RateControlModeVbr
		h.Bitrate = aws.Int32(int32(bitrate))
	}
	return types.Output{
		NameModifier: aws.String(r.Name),
		ContainerSettings: &types.ContainerSettings{
			Container:   types.ContainerTypeMp4,
			Mp4Settings: &types.Mp4Settings{MoovPlacement: types.Mp4MoovPlacementProgressiveDownload},
		},
		VideoDescription: &types.VideoDescription{
			Width:           dim(r.Width),
			Height:          dim(r.Height),
			ScalingBehavior: scaling(r.Width, r.Height, r.NoUpscale),
			CodecSettings:   &types.VideoCodecSettings{Codec: types.VideoCodecH264, H264Settings: h},
		},
		AudioDescriptions: []types.AudioDescription{{
			AudioSourceName: aws.String(audioSelector),
			CodecSettings: &types.AudioCodecSettings{
				Codec: types.AudioCodecAac,
				AacSettings: &types.AacSettings{
					Bitrate:    aws.Int32(int32(audioBitrate)),
					CodingMode: types.AacCodingModeCodingMode20,
					SampleRate: aws.Int32(48000),
				},
			},
		}},
	}
}

// scaling keeps the aspect ratio: with both dimensions the picture fits inside the box
// without padding (FIT); with one, MediaConvert scales evenly by itself (DEFAULT).
func scaling(w, h int, noUpscale bool) types.ScalingBehavior {
	switch {
	case noUpscale:
		return types.ScalingBehaviorFitNoUpscale
	case w != 0 && h != 0:
		return types.ScalingBehaviorFit
	}
	return types.ScalingBehaviorDefault
}

func dim(v int) *int32 {
	if v == 0 {
		return nil
	}
	return aws.Int32(int32(v))
}

// maxBitrate caps a QVBR rendition: about 0.15 bits per pixel at 30 frames per second,
// assuming 16:9 when only one dimension is known.
func maxBitrate(w, h int) int {
	switch {
	case w == 0:
		w = h * 16 / 9
	case h == 0:
		h = w * 9 / 16
	}
	return min(max(int(float64(w*h)*30*0.15), transcode.MinBitrate), transcode.MaxBitrate)
}
