package whippy

import "github.com/vendorsim/vendorsim/mocks"

// handlers lists Whippy's stateful surface by operationId. Operations of the
// spec not listed here (automation templates) answer from the spec's
// examples.
func (m *Mock) handlers() map[string]mocks.Handler {
	hs := map[string]mocks.Handler{
		"sendSms":         m.sendSMSHandler,
		"sendEmail":       m.sendEmailHandler,
		"sendFax":         m.sendFaxHandler,
		"sendNote":        m.sendNoteHandler,
		"sendCampaign":    m.sendCampaign,
		"sendSmsCampaign": m.sendCampaign,

		"listContacts":         m.listContacts,
		"createContact":        m.createContactHandler,
		"getContact":           m.getContact,
		"updateContact":        m.updateContact,
		"deleteContact":        m.deleteContact,
		"upsertContacts":       m.upsertContacts,
		"listContactSequences": m.listContactSequences,
		"searchContacts":       m.searchContacts,

		"listConversations":  m.listConversations,
		"getConversation":    m.getConversation,
		"updateConversation": m.updateConversation,

		"listCampaigns":        m.listCampaigns,
		"getCampaign":          m.getByID(kindCampaign, "Campaign"),
		"listCampaignContacts": m.listCampaignContacts,

		"listSequences":        m.listSequences,
		"getSequence":          m.getByID(kindSequence, "Sequence"),
		"addSequenceContacts":  m.addSequenceContacts,
		"listSequenceContacts": m.listSequenceContacts,
		"listSequenceRuns":     m.listSequenceRuns,
		"getSequenceRun":       m.getByID(kindSequenceRun, "Sequence run"),

		"listChannels":    m.listChannels,
		"getChannel":      m.getByID(kindChannel, "Channel"),
		"listUsers":       m.listUsers,
		"getOrganization": m.getOrganization,

		"createOrganizationIntegration": m.createOrganizationIntegration,

		"listCustomObjects":        m.listCustomObjects,
		"createCustomObject":       m.createCustomObject,
		"updateCustomObject":       m.updateCustomObject,
		"createCustomProperty":     m.createCustomProperty,
		"updateCustomProperty":     m.updateCustomProperty,
		"upsertCustomObjectRecord": m.upsertCustomObjectRecord,
		"updateCustomObjectRecord": m.updateCustomObjectRecord,

		"createCustomEvent":      m.createCustomEvent,
		"createCustomEventsBulk": m.createCustomEventsBulk,

		"createDeveloperApplication": m.createApplication,
		"listDeveloperApplications":  m.listApplications,
		"getDeveloperApplication":    m.getByID(kindApplication, "Developer application"),
		"updateDeveloperApplication": m.updateApplication,
		"createDeveloperEndpoint":    m.createEndpoint,
		"listDeveloperEndpoints":     m.listEndpoints,
		"getDeveloperEndpoint":       m.getByID(kindEndpoint, "Endpoint"),
		"updateDeveloperEndpoint":    m.updateEndpoint,
		"deleteDeveloperEndpoint":    m.deleteEndpoint,
		"deleteWebhook":              m.deleteEndpoint,
	}
	for op := range cacheable {
		hs[op] = m.runs.counted(op, hs[op])
	}
	return hs
}

// cacheable are the reads whose answers depend only on the request and the
// workspace's data.
var cacheable = map[string]bool{
	"listContacts": true, "getContact": true, "listConversations": true, "getConversation": true,
	"listCampaigns": true, "getCampaign": true, "listCampaignContacts": true,
	"listSequences": true, "getSequence": true, "listSequenceContacts": true, "listSequenceRuns": true, "getSequenceRun": true,
	"listChannels": true, "getChannel": true, "listUsers": true, "getOrganization": true, "listCustomObjects": true,
	"listDeveloperApplications": true, "getDeveloperApplication": true, "listDeveloperEndpoints": true, "getDeveloperEndpoint": true,
}
