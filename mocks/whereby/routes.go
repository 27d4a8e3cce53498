package whereby

import "github.com/vendorsim/vendorsim/mocks"

// handlers lists Whereby's whole surface by operationId.
func (m *Mock) handlers() map[string]mocks.Handler {
	return map[string]mocks.Handler{
		"createMeeting": m.createMeeting,
		"listMeetings":  m.listMeetings,
		"getMeeting":    m.getMeeting,
		"deleteMeeting": m.deleteMeeting,

		"listRecordings":         m.listRecordings,
		"getRecording":           m.getRecording,
		"deleteRecording":        m.deleteRecording,
		"getRecordingAccessLink": m.getRecordingAccessLink,
		"bulkDeleteRecordings":   m.bulkDeleteRecordings,

		"createTranscription":        m.createTranscription,
		"listTranscriptions":         m.listTranscriptions,
		"getTranscription":           m.getTranscription,
		"deleteTranscription":        m.deleteTranscription,
		"getTranscriptionAccessLink": m.getTranscriptionAccessLink,
		"bulkDeleteTranscriptions":   m.bulkDeleteTranscriptions,

		"createSummary": m.createSummary,
		"listSummaries": m.listSummaries,
		"getSummary":    m.getSummary,
		"deleteSummary": m.deleteSummary,

		"setRoomThemeTokens":         m.setRoomThemeTokens,
		"setRoomThemeLogo":           m.setRoomThemeLogo,
		"setRoomBackground":          m.setRoomBackground,
		"setRoomKnockPageBackground": m.setRoomKnockPageBackground,

		"listRoomInsights":        m.listRoomInsights,
		"listRoomSessionInsights": m.listRoomSessionInsights,
		"listParticipantInsights": m.listParticipantInsights,
		"getParticipantInsights":  m.getParticipantInsights,
	}
}

// cacheable are the reads whose answers depend only on the request and the
// workspace's stored data. (Insights count ongoing stays up to now, and
// access links expire from now: those are not.)
var cacheable = map[string]bool{
	"listMeetings": true, "getMeeting": true,
	"listRecordings": true, "getRecording": true,
	"listTranscriptions": true, "getTranscription": true,
	"listSummaries": true, "getSummary": true,
}
