// Package enginetest holds what the tests of several packages need of an
// inference engine's far side: WAV, test audio whose length a speech
// engine reads exactly, and Stream, an OpenAI-compatible engine that
// streams a short answer.
package enginetest

import "encoding/binary"

// WAV returns a RIFF WAVE file of seconds of silence, 16-bit mono at
// 16 kHz: test audio whose length the engine reads exactly.
func WAV(seconds float64) []byte {
	const rate, bytesPerSample = 16000, 2
	data := int(seconds * rate * bytesPerSample)
	data -= data % bytesPerSample
	b := make([]byte, 44+data)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], rate*bytesPerSample)
	binary.LittleEndian.PutUint16(b[32:], bytesPerSample)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	return b
}
