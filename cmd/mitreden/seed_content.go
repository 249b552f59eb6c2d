package main

// Demo content: consultations on the digital administration of North
// Rhine-Westphalia, written for the pilot so that every page has something
// realistic to show.

type demoConsultation struct {
	title, summary, body, region string
	topics                       []string
	phase                        string // open, upcoming, closed, evaluated
	mode                         string
	maxSupports, threshold       int
	proposals                    []string
	results                      string
}

var demoConsultations = []demoConsultation{
	{
		title:   "Welche Verwaltungsleistungen sollen zuerst online gehen?",
		summary: "Das Land will die meistgenutzten Leistungen vollständig digital anbieten. Sagen Sie uns, womit wir anfangen sollen.",
		body: "Die Digitalisierung der Verwaltung kommt voran, doch viele Anträge lassen sich heute nur online beginnen, nicht online abschließen. " +
			"Bis Ende 2027 sollen die wichtigsten Leistungen **Ende-zu-Ende digital** werden: vom Antrag bis zum Bescheid.\n\n" +
			"Welche Leistung kostet Sie heute am meisten Zeit? Wo fehlt Ihnen ein digitaler Weg? " +
			"Jede Person hat **fünf Unterstützungen**; Vorschläge mit mindestens 20 Unterstützungen prüft die Landesregierung verbindlich.",
		region: "Land Nordrhein-Westfalen", topics: []string{"Verwaltung", "Online-Dienste"}, phase: "open", mode: "support", maxSupports: 5, threshold: 20,
		proposals: []string{"Wohngeld vollständig online beantragen", "Kfz-Zulassung ohne Termin vor Ort", "Elterngeld mit einem Klick aus den Geburtsdaten",
			"Bauantrag digital mit Statusverfolgung", "Anwohnerparkausweis sofort online", "Ummeldung bei Umzug automatisch an alle Stellen",
			"Führungszeugnis per App beantragen", "Gewerbeanmeldung in zehn Minuten", "BAföG-Antrag ohne Papiernachweise", "Terminbuchung für alle Bürgerämter landesweit"},
	},
	{
		title:   "Offene Daten: Was soll das Land veröffentlichen?",
		summary: "Verwaltungsdaten gehören allen. Bewerten Sie, welche Datensätze zuerst als offene Daten erscheinen sollen.",
		body: "Nach dem Open-Data-Gesetz veröffentlicht das Land Daten in maschinenlesbarer Form und unter freier Lizenz. " +
			"Welche Daten helfen Ihnen, Ihrer Kommune, Ihrem Unternehmen oder Ihrer Forschung?\n\n" +
			"Stimmen Sie mit **Ja, Nein oder Enthaltung** über die Vorschläge ab.",
		region: "Land Nordrhein-Westfalen", topics: []string{"Open Data", "Transparenz"}, phase: "open", mode: "rating", threshold: 25,
		proposals: []string{"Echtzeitdaten des Nahverkehrs als offene Schnittstelle", "Haushaltsdaten der Kommunen im einheitlichen Format",
			"Luftqualität und Lärm an allen Messstellen", "Freie Kita-Plätze tagesaktuell", "Baustellen und Straßensperrungen landesweit",
			"Schulstatistiken ohne Personenbezug", "Förderbescheide des Landes mit Beträgen", "Ladesäulen und ihre Verfügbarkeit",
			"Geodaten und Luftbilder in hoher Auflösung", "Sitzungsunterlagen der Räte maschinenlesbar"},
	},
	{
		title:   "Schnelles Internet im ländlichen Raum",
		summary: "Wo fehlt Glasfaser oder Mobilfunk? Welche Hürden bremsen den Ausbau in Ihrer Region?",
		body: "Der Glasfaserausbau kommt in den Städten schneller voran als auf dem Land. " +
			"Wir sammeln Vorschläge, wie Kreise und Gemeinden schneller und günstiger ausbauen können: " +
			"von Genehmigungen über Mitverlegung bis zu Förderprogrammen.",
		region: "Kreis Höxter", topics: []string{"Breitband", "Ländlicher Raum"}, phase: "open", mode: "support", threshold: 15,
		proposals: []string{"Genehmigungen für Glasfaser in vier Wochen", "Leerrohre bei jeder Straßenbaustelle mitverlegen",
			"Mobilfunklöcher per App melden", "Förderung auch für Einzelhöfe", "Gemeinsame Bauplanung der Netzbetreiber",
			"Schulen und Praxen zuerst anschließen", "Transparente Ausbaukarte für jeden Ort", "Trenching als Standardverfahren zulassen",
			"Bürgerbreitband-Genossenschaften unterstützen", "WLAN an allen Bahnhöfen und Haltestellen"},
	},
	{
		title:   "Barrierefreies E-Government",
		summary: "Digitale Angebote müssen für alle nutzbar sein. Was hat Sie bei Online-Diensten ausgeschlossen?",
		body: "Alle Online-Dienste des Landes sollen die BITV 2.0 erfüllen. " +
			"Dieses Beteiligungsverfahren ist beendet; die Landesregierung hat die Vorschläge beantwortet.",
		region: "Land Nordrhein-Westfalen", topics: []string{"Barrierefreiheit", "Online-Dienste"}, phase: "closed", mode: "support", threshold: 10,
		proposals: []string{"Alle Formulare in Leichter Sprache", "Gebärdensprachvideos für wichtige Leistungen", "Bedienung komplett per Tastatur",
			"Keine PDF-Formulare mehr ohne barrierefreie Alternative", "Telefonische Hilfe beim Online-Antrag", "Prüfberichte zur Barrierefreiheit veröffentlichen",
			"Kontrastmodus in allen Portalen", "Vorlesefunktion für Bescheide", "Feedback-Knopf für Barrieren auf jeder Seite", "Schulungen für Redaktionen der Verwaltung"},
	},
	{
		title:   "Digitale Kompetenzen in Schulen",
		summary: "Wie lernen Kinder und Jugendliche den sicheren und kritischen Umgang mit digitalen Medien?",
		body: "Ab dem nächsten Schuljahr soll Medienbildung in allen Fächern verankert werden. " +
			"Das Beteiligungsverfahren startet in Kürze. Lesen Sie sich schon jetzt ein.",
		region: "Land Nordrhein-Westfalen", topics: []string{"Bildung", "Medienkompetenz"}, phase: "upcoming", mode: "support",
	},
	{
		title:   "Digitale Bürgerdienste in der Kommune – Auswertung",
		summary: "Das Pilotverfahren der Stadt Bielefeld ist abgeschlossen. Hier stehen die Ergebnisse.",
		body: "Bürgerinnen und Bürger haben Vorschläge gemacht, wie die Stadtverwaltung digitaler werden kann. " +
			"Der Rat hat die Ergebnisse beraten.",
		region: "Stadt Bielefeld", topics: []string{"Verwaltung", "Kommunen"}, phase: "evaluated", mode: "support", threshold: 10,
		proposals: []string{"Bürgerkonto für alle städtischen Dienste", "Mängelmelder für Straßen und Grünflächen", "Online-Bürgerversammlungen mit Livestream",
			"Sperrmüll digital anmelden", "Digitale Bibliothek rund um die Uhr", "Hundesteuer online an- und abmelden", "Bürgerhaushalt mit Online-Abstimmung",
			"Ratsinformationssystem verständlicher machen", "Digitale Sprechstunde der Bürgermeisterin", "Kostenloses WLAN in der Innenstadt"},
		results: "Der Rat hat **sechs Vorschläge** angenommen. Das Bürgerkonto und der Mängelmelder starten im nächsten Jahr; " +
			"der Bürgerhaushalt wird als Pilot erprobt. Vielen Dank an alle, die mitgemacht haben!",
	},
}

var demoBodies = []string{
	"Heute muss man dafür mehrmals zum Amt und Unterlagen in Papierform mitbringen. Das kostet Zeit, gerade für Berufstätige und Menschen mit Behinderungen.",
	"Andere Bundesländer zeigen, dass es geht. Wir sollten die vorhandenen Lösungen nachnutzen, statt alles neu zu entwickeln.",
	"Wichtig ist, dass der analoge Weg erhalten bleibt: Nicht alle können oder wollen online gehen. Beratung vor Ort muss es weiter geben.",
	"Die Daten liegen der Verwaltung meist schon vor. Nach dem Once-Only-Prinzip sollte niemand sie ein zweites Mal eingeben müssen.",
	"Ein klarer Status (eingegangen, in Bearbeitung, entschieden) würde viele Nachfragen überflüssig machen.",
}

var demoComments = []string{
	"Das würde mir sehr helfen, ich habe letztes Jahr drei Wochen auf einen Termin gewartet.",
	"Gute Idee, aber bitte auch an Menschen ohne Smartphone denken.",
	"In unserer Gemeinde klappt das schon, man könnte die Lösung übernehmen.",
	"Ich bin skeptisch, ob der Datenschutz dabei gewahrt bleibt.",
	"Wie soll das finanziert werden? Die Kommunen sind knapp bei Kasse.",
	"Unbedingt! Das spart Zeit auf beiden Seiten.",
	"Bitte mit offenen Standards umsetzen, damit keine Abhängigkeit von einem Anbieter entsteht.",
	"Als Sachbearbeiterin kann ich sagen: Das würde auch uns entlasten.",
	"Ergänzung: Die Barrierefreiheit muss von Anfang an mitgedacht werden.",
	"Das gibt es doch schon, es ist nur schlecht auffindbar.",
}

var demoAnswers = []struct{ status, text string }{
	{"accepted", "Die Landesregierung nimmt den Vorschlag an. Die Umsetzung ist für das kommende Jahr eingeplant."},
	{"implemented", "Umgesetzt: Die Funktion steht seit diesem Monat in allen Landesportalen zur Verfügung."},
	{"rejected", "Der Vorschlag wird nicht umgesetzt, weil die rechtlichen Voraussetzungen fehlen. Wir prüfen eine Alternative mit den Kommunen."},
	{"in_review", "Das zuständige Ministerium prüft den Vorschlag gemeinsam mit den kommunalen Spitzenverbänden."},
}

var scaleWords = []string{"Digitalisierung", "Verwaltung", "Antrag", "Bürgeramt", "Glasfaser", "Schule", "Daten", "Barrierefreiheit",
	"Termin", "Portal", "Kommune", "Förderung", "Nahverkehr", "Klimaschutz", "Wohngeld", "Genehmigung", "Beteiligung", "Sicherheit",
	"Datenschutz", "Schnittstelle", "Formular", "Bescheid", "Service", "Transparenz", "Mobilfunk", "Bibliothek", "Kita", "Pflege"}
