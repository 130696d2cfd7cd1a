package practices

// The Italian texts of the practices service, in one place: errors,
// refusals and intake validation messages the web and the API show, and the
// Temporal UI summary of a practice's workflow (no personal data). The
// labels of checkLengths stay in its table of fields. Change them knowingly
// (tests assert them). Formats are constants, so that go vet checks their
// arguments.

// Actions on a practice.
const (
	msgNotFound      = "pratica non trovata"
	msgUnknownAction = "Operazione sconosciuta."
	msgClosed        = "La pratica %s è già chiusa (%s)."
)

// Intake: documents, idempotency, validation of a submission.
const (
	msgDocumentsInUse     = "Un documento indicato è già usato da un'altra pratica o da un invio in corso: caricalo di nuovo per questa pratica."
	msgCertificateUnknown = "Certificato non trovato: caricalo prima con POST /api/v1/attachments."
	msgAttachmentUnknown  = "Allegato non trovato: caricalo prima con POST /api/v1/attachments."
	msgInvalidRequest     = "richiesta non valida: " // then the fields' messages
	msgOpenPractice       = "Esiste già una pratica aperta (n. %s) per questo assistito con il codice di esenzione %s: attendine l'esito oppure annullala prima di inviarne un'altra."
	msgKeyReused          = "chiave di idempotenza già usata per una richiesta diversa"
	msgSubmitterKind      = "Tipo di compilatore non valido: MEDICO, CITTADINO, DELEGATO o OPERATORE."
	msgSubmitterFC        = "Codice fiscale del compilatore non valido: " // then the fiscal code's error
	msgCodeRequired       = "Indica il codice di esenzione."
	msgCodeUnknown        = "Il codice di esenzione %s non è nel catalogo."
	msgDiagnosisRequired  = "Indica la diagnosi (codice ICD-9-CM)."
	msgDiagnosisMismatch  = "La diagnosi %s non appartiene al codice di esenzione %s."
	msgBirthDate          = "Data di nascita non valida."
	msgPersonUnknown      = "Assistito non presente in anagrafe: indica nome, cognome e ASL di residenza."
	msgASLUnknown         = "ASL %s sconosciuta."
	summaryPractice       = "Pratica %s · codice %s · ASL %s"
)
