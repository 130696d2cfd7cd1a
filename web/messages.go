package web

// The Italian texts the web layer shows to people (pages, flash messages,
// API errors, form errors), in one place, grouped by screen. Texts of the
// templates stay in web/templates; tables of labels stay whole where they
// are (fieldRules in input.go, differenceLabels, operationLabels,
// wizardSteps, the practice tabs). Tests assert many of these texts: change
// them knowingly. Formats are constants, so that go vet checks their
// arguments.

// Error pages and errors shared by every screen and the API.
const (
	titleBadRequest         = "Richiesta non valida"
	titleInternal           = "Errore interno"
	titlePageNotFound       = "Pagina non trovata"
	titleMethodNotAllowed   = "Operazione non disponibile a questo indirizzo"
	titleUnavailable        = "Servizio temporaneamente non disponibile"
	msgInternal             = "Errore interno: riprova più tardi."
	msgInternalPage         = "Si è verificato un errore imprevisto. Riprova tra qualche istante; se il problema persiste contatta l'assistenza."
	msgRenderFailed         = "errore interno" // plain text, when a page cannot be rendered
	msgUnavailable          = "Servizio temporaneamente non disponibile: riprova tra qualche minuto."
	msgUnavailablePage      = "Uno dei servizi dell'applicazione non risponde in questo momento. Nulla è andato perso: riprova tra qualche minuto."
	msgAPINotFound          = "Risorsa inesistente."
	msgPageNotFound         = "L'indirizzo richiesto non corrisponde a nessuna pagina del servizio. Controlla l'indirizzo oppure torna alla Home."
	msgMethodNotAllowed     = "Metodo non consentito per questa risorsa."
	msgMethodNotAllowedPage = "La pagina non si apre direttamente da questo indirizzo: torna indietro e usa i pulsanti del servizio."
	msgCrossOrigin          = "Richiesta rifiutata: proviene da un'altra origine."
	msgCrossOriginPage      = "La richiesta non è stata accettata perché il modulo è scaduto o non proviene da questa applicazione. Ricarica la pagina e riprova."
	msgNotAccepted          = "La richiesta non è stata accettata: ricarica la pagina e riprova."
)

// Refused input (input.go, jsonbody.go): forms, addresses, headers, JSON
// bodies.
const (
	subjectRequest      = "La richiesta"
	subjectField        = "Il campo «%s»"
	subjectHeader       = "L'intestazione %s"
	msgInvalidChars     = "%s contiene caratteri non ammessi (caratteri di controllo o testo non codificato correttamente in UTF-8)."
	msgTooLong          = "%s supera la lunghezza massima di %d caratteri."
	msgInvalidFormat    = "%s non ha il formato previsto."
	msgInvalid          = "%s non è valido."
	msgTooManyFields    = "La richiesta contiene troppi campi (al massimo %d)."
	msgBadURLEncoding   = "L'indirizzo della richiesta contiene una codifica non valida."
	msgRequestTooLarge  = "La richiesta è troppo grande."
	msgUnsupportedType  = "Formato della richiesta non supportato."
	msgBodyUnreadable   = "Corpo della richiesta illeggibile."
	msgFieldNameTooLong = "Il nome di un campo della richiesta è troppo lungo."
	msgFieldNameChars   = "Il nome di un campo della richiesta contiene caratteri non ammessi."
	msgURLTooLong       = "L'indirizzo richiesto è troppo lungo."
	msgURLChars         = "L'indirizzo richiesto contiene caratteri non ammessi."
	msgFormEncoding     = "Il modulo inviato contiene una codifica non valida."
	msgResourceNotFound = "Risorsa non trovata."
	msgPageMissing      = "La pagina richiesta non esiste."
	titleInvalidData    = "Dati non validi"
	msgInvalidDataPage  = "%s Correggi e riprova: nulla è stato salvato."
	msgNotesReshown     = "%s Nulla è stato salvato: il testo è di nuovo nel modulo, senza i caratteri non ammessi; controllalo e invia di nuovo."
	msgJSONContentType  = "Formato della richiesta non supportato: usa Content-Type: application/json (UTF-8)."
	msgJSONTooLarge     = "Il corpo della richiesta supera %d KB."
	msgJSONEmpty        = "Corpo della richiesta vuoto: atteso un oggetto JSON."
	msgJSONNotUTF8      = "Il corpo della richiesta non è testo UTF-8 valido."
	msgJSONDuplicate    = "Il campo «%s» compare più di una volta."
	msgJSONInvalidAt    = "JSON non valido (posizione %d)."
	msgJSONInvalid      = "JSON non valido."
	msgJSONTrailing     = "Il corpo della richiesta deve contenere un solo oggetto JSON, senza altro dopo."
	msgJSONNotObject    = "Il corpo della richiesta deve essere un oggetto JSON."
	msgJSONUnknownField = "Campo sconosciuto: «%s» (i nomi dei campi distinguono maiuscole e minuscole)."
	msgJSONWrongType    = "Il campo «%s» ha un tipo non valido: atteso %s."
	msgJSONListTooLong  = "L'elenco «%s» ha più di %d elementi."
)

// Login, profile change, certificate and OIDC login.
const (
	// msgLoginFailed is the one message for every failed login: it does
	// not tell which of username, password and PIN was wrong, nor whether
	// the account exists.
	msgLoginFailed             = "Accesso non riuscito: verifica nome utente, password e PIN. Dopo 5 tentativi errati consecutivi i tentativi successivi vengono rallentati."
	msgBlockedAddress          = "Troppi tentativi di accesso non riusciti da questa postazione: l'accesso è temporaneamente bloccato. Riprova tra %s."
	msgBlockedAccount          = "Troppi tentativi di accesso non riusciti: l'utenza è temporaneamente bloccata. Riprova tra %s."
	waitSeconds                = "%d secondi"
	waitSecond                 = "1 secondo"
	waitMinutes                = "%d minuti"
	waitMinute                 = "1 minuto"
	msgNoProfiles              = "La tua utenza non ha profili abilitati al servizio: rivolgiti all'amministratore."
	msgNoAccount               = "Non risulta un'utenza di operatore per il codice fiscale %s: l'identità è stata riconosciuta, ma per accedere serve un'utenza abilitata al servizio. Rivolgiti all'amministratore del servizio della tua ASL."
	msgAccountInactive         = "La tua utenza non è attiva: rivolgiti all'amministratore del servizio."
	msgAccountsMultiple        = "Al tuo codice fiscale corrispondono più utenze attive: accedi con nome utente, password e PIN, o chiedi all'amministratore di disattivare quelle che non usi."
	titleBadProfile            = "Profilo non valido"
	msgBadProfile              = "Il profilo scelto non appartiene alla tua utenza."
	msgSameProfile             = "Il profilo scelto è già quello in uso: nessun cambiamento."
	msgProfileChanged          = "Profilo di accesso cambiato."
	msgCertificateOff          = "L'accesso con certificato digitale non è attivo in questa installazione."
	msgCertificateStateInvalid = "La richiesta di accesso con certificato non è valida o è scaduta: premi di nuovo «Accedi» nel riquadro del certificato."
	msgCertificateRefused      = "Il certificato presentato non è stato accettato."
	msgOIDCStateInvalid        = "La richiesta di accesso non è valida o è scaduta: premi di nuovo il pulsante di accesso."
	msgOIDCOff                 = "Questo metodo di accesso non è attivo in questa installazione."
	msgOIDCUnreachable         = "Il servizio di accesso %s non è raggiungibile in questo momento: riprova tra qualche minuto o accedi con un altro metodo."
	msgOIDCNotCompleted        = "L'accesso con %s non è stato completato presso il gestore dell'identità: riprova."
	msgOIDCLevel               = "L'accesso richiede un'identità %s di livello %d o superiore: hai usato %s. Riprova scegliendo un livello di sicurezza adeguato."
	msgOIDCLowerLevel          = "un livello inferiore"
	msgOIDCLevelN              = "il livello %d"
	msgOIDCExchange            = "Il codice di accesso restituito dal gestore dell'identità non è valido, è scaduto o è già stato usato: riprova."
	msgOIDCIDToken             = "La risposta del gestore dell'identità non è valida (firma o contenuto non verificabili): l'accesso è stato rifiutato."
	msgOIDCNoFiscalCode        = "Il gestore dell'identità non ha comunicato il codice fiscale: l'accesso non è possibile."
	msgOIDCBadFiscalCode       = "Il codice fiscale comunicato dal gestore dell'identità non è valido."
	msgOIDCFailed              = "L'accesso non è riuscito: riprova."
)

// Search forms of the practice and exemption lists and of the wizard.
const (
	msgFiscalCodeLength  = "Il codice fiscale deve avere 16 caratteri."
	msgDateRangeReversed = "La data finale precede quella iniziale."
	msgDateFormat        = "Data non valida: usa il formato gg/mm/aaaa."
	msgDateYear          = "Data non plausibile: l'anno deve essere compreso tra %d e %d."
)

// Practices: lists, detail, actions.
const (
	titlePractice           = "Pratica %s"
	titlePracticeNotFound   = "Pratica non trovata"
	msgPracticeNotFound     = "La pratica richiesta non esiste oppure non è di competenza del tuo profilo."
	msgPracticeStateUnknown = "Stato non previsto in questa scheda."
	msgPracticeTaken        = "Pratica %s presa in carico con successo"
	msgPracticeValidated    = "Pratica %s validata con successo: l'esenzione è stata rilasciata"
	msgPracticeRejected     = "Pratica %s respinta con successo"
	msgPracticeCancelled    = "Pratica %s annullata con successo"
	msgPracticeNoteSaved    = "Nota salvata sulla pratica %s"
	msgInProgress           = "L'operazione è in corso: la pagina mostra lo stato aggiornato appena disponibile."
	msgRecorded             = "Operazione registrata: il dettaglio si aggiornerà appena il database risponde."
	msgPracticeClosed       = "Operazione non più possibile: la pratica è chiusa. La pagina mostra il suo stato attuale."
)

// Exemptions: search, detail, change.
const (
	titleExemption             = "Esenzione %s"
	titleExemptionNotFound     = "Esenzione non trovata"
	titleChangeForbidden       = "Modifica non consentita"
	msgExemptionNotFound       = "L'esenzione richiesta non esiste."
	msgSearchExemptionNeedsKey = "Per effettuare la ricerca indica il cognome o il codice fiscale dell'assistito."
	msgExemptionStateUnknown   = "Stato non previsto."
	msgExemptionRevoked        = "L'esenzione è annullata (revocata): non si può più modificare. Per l'assistito si può rilasciare una nuova esenzione."
	msgExemptionExpired        = "L'esenzione è scaduta: non si può più modificare. Per l'assistito si può rilasciare una nuova esenzione."
	msgExemptionOutOfScope     = "Solo gli operatori dell'ASL di residenza dell'assistito possono modificare un'esenzione valida."
	msgNewEndDate              = "Indica la nuova data di fine validità."
	msgFormInvalid             = "Modulo non valido: ricarica la pagina."
	msgNoChange                = "Nessuna modifica: indica una data di fine validità diversa o aggiungi dei documenti."
	msgExemptionClosed         = "Operazione non più possibile: l'esenzione è chiusa."
	msgExemptionRevokedTo      = "Esenzione revocata: annullata con data di fine validità %s."
	msgExemptionShortened      = "Data di fine validità anticipata al %s."
	msgDocumentsAdded          = "Documenti aggiunti all'esenzione; la data di fine validità non cambia."
	msgDocumentsAddedN         = "Documenti aggiunti all'esenzione (%d); la data di fine validità non cambia."
	msgExemptionRenewed        = "Esenzione rinnovata: valida fino al %s."
	msgNoEndDate               = "senza scadenza"
	msgCodeNone                = "Nessun codice esenzione corrisponde a «%s»."
	msgCodeAmbiguous           = "«%s» corrisponde a %d codici esenzione: sceglilo dall'elenco."
)

// Wizard of a new exemption.
const (
	titleWizard             = "Nuova esenzione"
	titleWizardSearch       = "Nuova esenzione: ricerca beneficiario"
	titleWizardBeneficiary  = "Nuova esenzione: beneficiario"
	titlePersonNotFound     = "Assistito non trovato"
	titleNotAllowed         = "Operazione non consentita"
	titleDraftNotFound      = "Bozza non trovata"
	msgDraftNotFound        = "La nuova esenzione che stai compilando non esiste più: ricomincia da «Nuova esenzione»."
	msgWizardSearchNeedsKey = "Per cercare l'assistito indica il codice fiscale, oppure nome e cognome."
	msgWizardSearchKey      = "Indica il codice fiscale, oppure nome e cognome dell'assistito."
	msgPersonNotFound       = "Non esistono profili anagrafici che rispondono ai parametri indicati."
	msgWizardOutOfScope     = "Puoi rilasciare esenzioni solo agli assistiti residenti nella tua ASL."
	msgWizardDiagnosis      = "Scegli la patologia (diagnosi) tra quelle della tipologia."
	msgWizardCode           = "Scegli un codice di esenzione che copra la patologia scelta."
	msgWizardOpenPractice   = "Esiste già una pratica aperta (n. %s) per questo assistito con il codice %s: lavorala dalla scheda «Pratiche da fare» invece di rilasciare una nuova esenzione."
	msgWizardEndDateOrNone  = "Indica una data di fine validità oppure «Senza scadenza», non entrambe."
	msgWizardEndDate        = "Indica la data di fine validità, oppure scegli «Senza scadenza»."
	msgWizardEndDateFuture  = "La data di fine validità deve essere successiva a oggi."
	msgWizardInProgress     = "L'operazione è in corso: conferma di nuovo tra qualche secondo per vedere l'esito (l'esenzione non sarà rilasciata due volte)."
	msgWizardIssued         = "Esenzione rilasciata: pratica %s validata."
	// noteWizardIssued is the internal note of the practice the wizard
	// validates: recorded in its history.
	noteWizardIssued = "Esenzione rilasciata dall'operatore"
)

// Documents: upload (form and API), download, deletion.
const (
	titleStorageDown          = "Archivio documenti non disponibile"
	titleDocumentNotFound     = "Documento non trovato"
	titleNoCertificate        = "Certificato non presente"
	titleNoAttachments        = "Nessun allegato"
	msgUploadInvalid          = "Caricamento non valido: scegli un file e riprova."
	msgDocumentKind           = "Scegli il tipo di documento."
	msgDocumentIssuedFuture   = "La data di rilascio non può essere nel futuro (oggi è il %s)."
	msgDocumentIssuedOn       = "Indica la data di rilascio del documento."
	msgDocumentEndBeforeIssue = "La data di fine validità del documento precede la data di rilascio."
	msgDocumentFile           = "Scegli il file da allegare."
	msgFileTooLarge           = "Il file supera la dimensione massima di %d MB."
	msgStorageDown            = "Non è stato possibile salvare il documento: l'archivio dei documenti non risponde. Nulla è stato salvato; riprova tra qualche minuto."
	msgDocumentAddedConfirm   = "Documento «%s» aggiunto: firma di %s verificata. Conferma la modifica per registrarlo."
	msgDocumentAdded          = "Documento «%s» aggiunto: firma di %s verificata."
	msgDocumentAlreadyDeleted = "Il documento era già stato eliminato."
	msgDocumentDeleted        = "Documento eliminato: non sarà allegato."
	msgDocumentNotFound       = "Il documento richiesto non esiste oppure non è di competenza del tuo profilo."
	msgNoCertificate          = "La pratica non ha un certificato allegato."
	msgNoAttachments          = "La pratica non ha allegati del cittadino."
)

// API (/api/v1): authentication, idempotency keys, practices.
const (
	msgTokenMissing        = "Token di accesso mancante (Authorization: Bearer ...)."
	msgTokenInvalid        = "Token di accesso non valido o revocato."
	msgKeyTooLong          = "Idempotency-Key troppo lunga (massimo 200 caratteri)."
	msgKeyReused           = "Idempotency-Key già usata per una richiesta diversa."
	msgSubmitterKind       = "Questo client non può inviare pratiche come %s."
	msgSubmitterNotHolder  = "Questo client può inviare pratiche solo a nome del proprio titolare."
	msgInvalidRequest      = "La richiesta contiene dati non validi."
	msgAPIBirthDate        = "Data di nascita non valida: usa il formato AAAA-MM-GG."
	msgAPIPracticeNotFound = "Pratica non trovata."
	msgAPIPracticeNotReady = "Pratica non ancora disponibile: riprova tra qualche istante."
	msgAPINotAccepted      = "Richiesta non accettata: controlla i dati e l'Idempotency-Key."
	msgAPIStorageDown      = "Archivio documenti non disponibile: nulla è stato salvato, riprova più tardi."
)

// Codec endpoint of the Temporal UI.
const (
	msgCodecContentType = "Formato della richiesta non supportato: usa Content-Type: application/json."
	msgCodecAdminOnly   = "Solo un amministratore regionale autenticato può leggere i dati cifrati."
	msgCodecOrigin      = "Origine della richiesta non ammessa: l'endpoint risponde solo alla Temporal UI configurata " +
		"(o a un token di sessione in Authorization)."
	msgCodecBadBody    = "Corpo non valido: atteso un oggetto Payloads in JSON."
	msgCodecBadKey     = "I dati non possono essere elaborati con la chiave configurata."
	msgCodecBadRequest = "Richiesta non valida."
)

// Audit export (administrators).
const (
	titleAccessDenied  = "Accesso negato"
	titleAuditExport   = "Accessi ai dati di un cittadino"
	msgAdminOnly       = "La funzione è riservata agli amministratori regionali."
	msgAuditFiscalCode = "Indica un codice fiscale valido."
)
