package service

// The Italian texts of the service layer's errors, in one place: web pages
// and API answers show them. Change them knowingly (tests assert them).
const (
	msgInProgress  = "l'operazione è in corso: ricarica la pagina tra qualche secondo"
	msgUnavailable = "il servizio dei flussi di lavoro non è raggiungibile: riprova tra qualche minuto"
	msgRecorded    = "operazione registrata: la pagina si aggiornerà appena il database risponde"
)
