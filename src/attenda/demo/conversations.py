"""What the demo's customers write and what agents answer, in each customer language. Each scenario
is one matter a telecom's support desk hears every day, told start to finish: the first message,
the agent's reply, the customer's answer, the resolution, an internal note and a hand-off note."""

from dataclasses import dataclass

from attenda.tickets.models import Kind, Priority


@dataclass(frozen=True)
class Conversation:
    """Texts with ``{first_name}``, ``{agent}``, ``{amount}`` and ``{reference}`` placeholders."""

    subject: str
    message: str
    reply: str
    followup: str
    resolution: str
    note: str
    handoff: str


@dataclass(frozen=True)
class Scenario:
    key: str
    kind: Kind
    team: str
    priority: Priority
    tags: tuple[str, ...]
    weight: int
    texts: dict[str, Conversation]


# How an agent writes down what a caller or a visitor said, before their words.
CALL_PREFIX = {
    "pt": "Cliente ligou: ",
    "es": "Llamada del cliente: ",
    "ro": "Clientul a sunat: ",
    "pl": "Klient zadzwonił: ",
    "en": "Customer called: ",
}
VISIT_PREFIX = {
    "pt": "Cliente veio à loja: ",
    "es": "Visita a la tienda: ",
    "ro": "Clientul a venit la magazin: ",
    "pl": "Klient przyszedł do salonu: ",
    "en": "Customer came to the shop: ",
}

WRONG_INVOICE = Scenario(
    key="wrong_invoice",
    kind=Kind.COMPLAINT,
    team="billing",
    priority=Priority.NORMAL,
    tags=("billing-error", "roaming"),
    weight=20,
    texts={
        "pt": Conversation(
            subject="Fatura com valor errado",
            message=(
                "Bom dia,\n\nRecebi a fatura deste mês no valor de {amount}, quando normalmente pago"
                " bastante menos. Não fiz chamadas internacionais nem alterei o tarifário. Podem"
                " verificar o que se passa?\n\nObrigado,\n{first_name}"
            ),
            reply=(
                "Olá {first_name},\n\nObrigado pelo contacto. Já estou a analisar a sua fatura e vejo"
                " um débito de roaming que não parece correto. Pode confirmar se esteve fora do país"
                " no início do mês?\n\nCumprimentos,\n{agent}"
            ),
            followup="Não, não saí de Portugal. O telemóvel esteve sempre comigo em Lisboa.",
            resolution=(
                "Olá {first_name},\n\nConfirmámos que o débito de roaming foi um erro do sistema."
                " Emitimos uma nota de crédito de {amount}, que vai aparecer na próxima fatura."
                " Pedimos desculpa pelo incómodo.\n\nCumprimentos,\n{agent}"
            ),
            note="Débito de roaming indevido; pedido de nota de crédito enviado à contabilidade (ref. {reference}).",
            handoff=(
                "Cliente contesta um débito de roaming de {amount}. Já confirmei que não viajou;"
                " falta emitir a nota de crédito."
            ),
        ),
        "es": Conversation(
            subject="Factura con un importe incorrecto",
            message=(
                "Buenos días:\n\nHe recibido la factura de este mes por {amount}, cuando normalmente"
                " pago mucho menos. No he hecho llamadas internacionales ni he cambiado de tarifa."
                " ¿Podrían revisarlo?\n\nGracias,\n{first_name}"
            ),
            reply=(
                "Hola, {first_name}:\n\nGracias por escribirnos. Estoy revisando su factura y veo un"
                " cargo de itinerancia que no parece correcto. ¿Puede confirmarme si estuvo fuera del"
                " país a principios de mes?\n\nUn saludo,\n{agent}"
            ),
            followup="No, no he salido de España. El móvil ha estado siempre conmigo en Madrid.",
            resolution=(
                "Hola, {first_name}:\n\nHemos confirmado que el cargo de itinerancia fue un error del"
                " sistema. Hemos emitido un abono de {amount} que verá en su próxima factura."
                " Disculpe las molestias.\n\nUn saludo,\n{agent}"
            ),
            note="Cargo de itinerancia indebido; solicitado el abono a contabilidad (ref. {reference}).",
            handoff=(
                "El cliente reclama un cargo de itinerancia de {amount}. Ya he comprobado que no"
                " viajó; falta emitir el abono."
            ),
        ),
        "ro": Conversation(
            subject="Factură cu o sumă greșită",
            message=(
                "Bună ziua,\n\nAm primit factura pe luna aceasta în valoare de {amount}, deși de"
                " obicei plătesc mult mai puțin. Nu am dat apeluri internaționale și nu mi-am"
                " schimbat abonamentul. Puteți verifica, vă rog?\n\nMulțumesc,\n{first_name}"
            ),
            reply=(
                "Bună ziua, {first_name},\n\nVă mulțumim că ne-ați scris. Verific factura și văd o"
                " taxă de roaming care nu pare corectă. Îmi puteți confirma dacă ați fost în"
                " străinătate la începutul lunii?\n\nCu stimă,\n{agent}"
            ),
            followup="Nu, nu am ieșit din țară. Telefonul a fost tot timpul cu mine, în București.",
            resolution=(
                "Bună ziua, {first_name},\n\nAm confirmat că taxa de roaming a fost o eroare de"
                " sistem. Am emis o notă de credit de {amount}, pe care o veți vedea în factura"
                " următoare. Ne cerem scuze pentru neplăcere.\n\nCu stimă,\n{agent}"
            ),
            note="Taxă de roaming nejustificată; am cerut nota de credit la contabilitate (ref. {reference}).",
            handoff=(
                "Clientul contestă o taxă de roaming de {amount}. Am verificat că nu a călătorit;"
                " mai trebuie emisă nota de credit."
            ),
        ),
        "pl": Conversation(
            subject="Faktura z błędną kwotą",
            message=(
                "Dzień dobry,\n\nfaktura za ten miesiąc opiewa na {amount}, choć zwykle płacę dużo"
                " mniej. Nie było żadnych połączeń zagranicznych ani zmiany taryfy. Czy mogą Państwo"
                " to sprawdzić?\n\nDziękuję,\n{first_name}"
            ),
            reply=(
                "Dzień dobry,\n\ndziękujemy za wiadomość. Sprawdzam fakturę i widzę opłatę za"
                " roaming, która nie wygląda na prawidłową. Proszę potwierdzić, czy na początku"
                " miesiąca telefon był używany za granicą.\n\nPozdrawiam,\n{agent}"
            ),
            followup="Nie, telefon cały czas był w Polsce, w Warszawie.",
            resolution=(
                "Dzień dobry,\n\npotwierdziliśmy, że opłata za roaming była błędem systemu."
                " Wystawiliśmy korektę na {amount}, która pojawi się na następnej fakturze."
                " Przepraszamy za kłopot.\n\nPozdrawiam,\n{agent}"
            ),
            note="Nienależna opłata za roaming; wysłano prośbę o korektę do księgowości (nr {reference}).",
            handoff=(
                "Klient kwestionuje opłatę za roaming na {amount}. Sprawdzone, że nie było wyjazdu;"
                " trzeba jeszcze wystawić korektę."
            ),
        ),
        "en": Conversation(
            subject="Wrong amount on my bill",
            message=(
                "Hello,\n\nThis month's bill came to {amount}, when I normally pay much less. I"
                " haven't made any international calls or changed my plan. Could you look into it,"
                " please?\n\nThanks,\n{first_name}"
            ),
            reply=(
                "Hi {first_name},\n\nThanks for getting in touch. I'm looking at your bill and can"
                " see a roaming charge that doesn't look right. Could you confirm whether you were"
                " abroad at the start of the month?\n\nKind regards,\n{agent}"
            ),
            followup="No, I haven't left the UK. The phone has been with me in Leeds the whole time.",
            resolution=(
                "Hi {first_name},\n\nWe've confirmed the roaming charge was a system error. We've"
                " issued a credit of {amount}, which will show on your next bill. Sorry for the"
                " trouble.\n\nKind regards,\n{agent}"
            ),
            note="Roaming charged in error; credit note requested from accounts (ref. {reference}).",
            handoff=(
                "Customer disputes a roaming charge of {amount}. Checked they didn't travel; the"
                " credit note still needs issuing."
            ),
        ),
    },
)

OUTAGE = Scenario(
    key="outage",
    kind=Kind.TECHNICAL_SERVICE,
    team="technical",
    priority=Priority.HIGH,
    tags=("outage", "fibre"),
    weight=18,
    texts={
        "pt": Conversation(
            subject="Sem internet desde ontem",
            message=(
                "Estou sem internet nem televisão desde ontem à noite. Já desliguei e voltei a ligar"
                " o router várias vezes e a luz continua vermelha. Trabalho a partir de casa e"
                " preciso disto resolvido com urgência."
            ),
            reply=(
                "Olá {first_name},\n\nLamentamos a situação. Há uma avaria na rede da sua zona e as"
                " equipas técnicas já estão no local. A previsão de reposição é hoje até às 18h."
                " Vamos mantê-lo informado.\n\n{agent}"
            ),
            followup="Já são sete da tarde e continuo sem serviço. Vão descontar estes dias na fatura?",
            resolution=(
                "Olá {first_name},\n\nO serviço foi reposto às 19h40. Como a avaria durou mais de 24"
                " horas, vai receber automaticamente um crédito na próxima fatura. Obrigado pela"
                " paciência.\n\n{agent}"
            ),
            note="Avaria de fibra na zona, incidente {reference}. Cliente em teletrabalho: dar prioridade.",
            handoff=(
                "Avaria confirmada na zona (incidente {reference}). Cliente pede compensação pelos"
                " dias sem serviço."
            ),
        ),
        "es": Conversation(
            subject="Sin internet desde ayer",
            message=(
                "Llevo sin internet ni televisión desde anoche. He apagado y encendido el router"
                " varias veces y la luz sigue en rojo. Teletrabajo y necesito que lo solucionen"
                " cuanto antes."
            ),
            reply=(
                "Hola, {first_name}:\n\nSentimos las molestias. Hay una avería en la red de su zona y"
                " los técnicos ya están trabajando en ella. Prevemos restablecer el servicio hoy"
                " antes de las 18:00. Le mantendremos informado.\n\n{agent}"
            ),
            followup="Son las siete de la tarde y sigo sin servicio. ¿Me van a descontar estos días de la factura?",
            resolution=(
                "Hola, {first_name}:\n\nEl servicio se restableció a las 19:40. Como la avería duró"
                " más de seis horas en horario diurno, recibirá automáticamente la compensación en su"
                " próxima factura. Gracias por su paciencia.\n\n{agent}"
            ),
            note="Avería de fibra en la zona, incidencia {reference}. El cliente teletrabaja: prioridad alta.",
            handoff=(
                "Avería confirmada en la zona (incidencia {reference}). El cliente pide una"
                " compensación por los días sin servicio."
            ),
        ),
        "ro": Conversation(
            subject="Fără internet de ieri",
            message=(
                "Nu am internet și nici televiziune de aseară. Am repornit routerul de mai multe ori"
                " și ledul este tot roșu. Lucrez de acasă și am nevoie să se rezolve urgent."
            ),
            reply=(
                "Bună ziua, {first_name},\n\nNe pare rău pentru situație. Există o defecțiune în"
                " rețea în zona dumneavoastră, iar echipele tehnice lucrează deja la ea. Estimăm că"
                " serviciul va fi restabilit astăzi până la ora 18:00.\n\n{agent}"
            ),
            followup="Este ora șapte seara și tot nu am serviciu. Îmi scădeți zilele acestea din factură?",
            resolution=(
                "Bună ziua, {first_name},\n\nServiciul a fost restabilit la ora 19:40. Pentru zilele"
                " fără serviciu veți primi o compensație în factura următoare, conform contractului."
                " Vă mulțumim pentru răbdare.\n\n{agent}"
            ),
            note="Defecțiune de fibră în zonă, incidentul {reference}. Clientul lucrează de acasă: prioritate.",
            handoff=(
                "Defecțiune confirmată în zonă (incidentul {reference}). Clientul cere compensație"
                " pentru zilele fără serviciu."
            ),
        ),
        "pl": Conversation(
            subject="Brak internetu od wczoraj",
            message=(
                "Od wczoraj wieczorem nie mam internetu ani telewizji. Router był już kilka razy"
                " restartowany, a dioda nadal świeci na czerwono. Pracuję zdalnie i potrzebuję"
                " pilnie rozwiązania."
            ),
            reply=(
                "Dzień dobry,\n\nprzepraszamy za utrudnienia. W Państwa okolicy wystąpiła awaria"
                " sieci i technicy już nad nią pracują. Usunięcie awarii przewidujemy dziś do"
                " godziny 18:00. Będziemy informować na bieżąco.\n\n{agent}"
            ),
            followup="Jest już dziewiętnasta, a usługa nadal nie działa. Czy te dni zostaną odliczone od rachunku?",
            resolution=(
                "Dzień dobry,\n\nusługa działa ponownie od 19:40. Za czas przerwy otrzymają Państwo"
                " rekompensatę na następnej fakturze. Dziękujemy za cierpliwość.\n\n{agent}"
            ),
            note="Awaria światłowodu w okolicy, zgłoszenie {reference}. Klient pracuje zdalnie: priorytet.",
            handoff=(
                "Potwierdzona awaria w okolicy (zgłoszenie {reference}). Klient prosi o rekompensatę"
                " za dni bez usługi."
            ),
        ),
        "en": Conversation(
            subject="No broadband since yesterday",
            message=(
                "I've had no broadband or TV since last night. I've restarted the router several"
                " times and the light is still red. I work from home and need this fixed urgently."
            ),
            reply=(
                "Hi {first_name},\n\nSorry about this. There's a network fault in your area and our"
                " engineers are already on it. We expect service back today by 6pm. We'll keep you"
                " posted.\n\n{agent}"
            ),
            followup="It's 7pm and still nothing. Will these days be taken off my bill?",
            resolution=(
                "Hi {first_name},\n\nYour service was restored at 7:40pm. You'll receive automatic"
                " compensation for the time without service on your next bill. Thanks for your"
                " patience.\n\n{agent}"
            ),
            note="Fibre fault in the area, incident {reference}. Customer works from home: prioritise.",
            handoff=(
                "Confirmed area fault (incident {reference}). Customer asks for compensation for the"
                " days without service."
            ),
        ),
    },
)

LATE_ORDER = Scenario(
    key="late_order",
    kind=Kind.ORDER,
    team="billing",
    priority=Priority.NORMAL,
    tags=("delivery", "router"),
    weight=12,
    texts={
        "pt": Conversation(
            subject="Encomenda ainda não chegou",
            message=(
                "Encomendei um router novo há duas semanas (encomenda {reference}) e ainda não"
                " recebi nada. O site dizia que chegava na semana passada. Onde está a minha"
                " encomenda?"
            ),
            reply=(
                "Olá {first_name},\n\nA sua encomenda {reference} ficou retida no armazém da"
                " transportadora. Já pedimos a entrega com prioridade e deve recebê-la em dois dias"
                " úteis.\n\n{agent}"
            ),
            followup="Ainda nada. Se não chegar até sexta-feira, quero cancelar a encomenda.",
            resolution=(
                "Olá {first_name},\n\nA transportadora confirmou a entrega esta manhã. Como"
                " compensação pelo atraso, devolvemos os portes ({amount}). Estamos ao dispor.\n\n{agent}"
            ),
            note="Transportadora confirma que a encomenda {reference} está parada no armazém de Alverca.",
            handoff=(
                "Encomenda {reference} atrasada duas semanas; o cliente ameaça cancelar. Já pedi"
                " entrega prioritária."
            ),
        ),
        "es": Conversation(
            subject="Mi pedido todavía no ha llegado",
            message=(
                "Hice un pedido de un router nuevo hace dos semanas (pedido {reference}) y todavía"
                " no he recibido nada. En la web ponía que llegaba la semana pasada. ¿Dónde está mi"
                " pedido?"
            ),
            reply=(
                "Hola, {first_name}:\n\nSu pedido {reference} se quedó retenido en el almacén de la"
                " empresa de transporte. Hemos pedido la entrega urgente y debería recibirlo en dos"
                " días laborables.\n\n{agent}"
            ),
            followup="Sigo sin noticias. Si no llega antes del viernes, quiero cancelar el pedido.",
            resolution=(
                "Hola, {first_name}:\n\nLa empresa de transporte nos confirma que se lo entregó esta"
                " mañana. Por el retraso, le devolvemos los gastos de envío ({amount}). Quedamos a su"
                " disposición.\n\n{agent}"
            ),
            note="El transportista confirma que el pedido {reference} está parado en el almacén de Getafe.",
            handoff=(
                "Pedido {reference} con dos semanas de retraso; el cliente quiere cancelarlo. Ya"
                " pedí la entrega urgente."
            ),
        ),
        "ro": Conversation(
            subject="Comanda nu a ajuns încă",
            message=(
                "Am comandat un router nou acum două săptămâni (comanda {reference}) și încă nu am"
                " primit nimic. Pe site scria că ajunge săptămâna trecută. Unde este comanda mea?"
            ),
            reply=(
                "Bună ziua, {first_name},\n\nComanda {reference} a rămas blocată în depozitul"
                " curierului. Am cerut livrare prioritară și ar trebui să o primiți în două zile"
                " lucrătoare.\n\n{agent}"
            ),
            followup="Tot nimic. Dacă nu ajunge până vineri, vreau să anulez comanda.",
            resolution=(
                "Bună ziua, {first_name},\n\nCurierul ne-a confirmat livrarea de azi-dimineață."
                " Pentru întârziere, vă returnăm costul transportului ({amount}). Vă stăm la"
                " dispoziție.\n\n{agent}"
            ),
            note="Curierul confirmă că comanda {reference} stă în depozitul din Chiajna.",
            handoff=(
                "Comanda {reference} întârzie de două săptămâni; clientul vrea să anuleze. Am cerut"
                " deja livrare prioritară."
            ),
        ),
        "pl": Conversation(
            subject="Zamówienie jeszcze nie dotarło",
            message=(
                "Zamówienie {reference} na nowy router zostało złożone dwa tygodnie temu i nadal nic"
                " nie dotarło. Na stronie była informacja, że dostawa będzie w zeszłym tygodniu."
                " Gdzie jest moje zamówienie?"
            ),
            reply=(
                "Dzień dobry,\n\nzamówienie {reference} utknęło w magazynie firmy kurierskiej."
                " Poprosiliśmy o priorytetową dostawę; przesyłka powinna dotrzeć w ciągu dwóch dni"
                " roboczych.\n\n{agent}"
            ),
            followup="Nadal nic. Jeśli nie dotrze do piątku, chcę anulować zamówienie.",
            resolution=(
                "Dzień dobry,\n\nkurier potwierdził doręczenie dziś rano. W ramach przeprosin"
                " zwracamy koszt dostawy ({amount}). Jesteśmy do dyspozycji.\n\n{agent}"
            ),
            note="Kurier potwierdza, że zamówienie {reference} leży w magazynie w Strykowie.",
            handoff=(
                "Zamówienie {reference} opóźnione o dwa tygodnie; klient chce anulować. Priorytetowa"
                " dostawa już zlecona."
            ),
        ),
        "en": Conversation(
            subject="My order still hasn't arrived",
            message=(
                "I ordered a new router two weeks ago (order {reference}) and still haven't received"
                " anything. The website said it would arrive last week. Where is my order?"
            ),
            reply=(
                "Hi {first_name},\n\nYour order {reference} got held up at the courier's depot. We've"
                " asked for priority delivery and you should have it within two working days.\n\n{agent}"
            ),
            followup="Still nothing. If it doesn't arrive by Friday I want to cancel the order.",
            resolution=(
                "Hi {first_name},\n\nThe courier has confirmed delivery this morning. To make up for"
                " the delay, we've refunded the delivery charge ({amount}). Let us know if there's"
                " anything else.\n\n{agent}"
            ),
            note="Courier confirms order {reference} is stuck at their Daventry depot.",
            handoff=(
                "Order {reference} is two weeks late; the customer wants to cancel. Priority delivery"
                " already requested."
            ),
        ),
    },
)

WARRANTY_REPAIR = Scenario(
    key="warranty_repair",
    kind=Kind.WARRANTY_CLAIM,
    team="technical",
    priority=Priority.NORMAL,
    tags=("warranty", "repair"),
    weight=12,
    texts={
        "pt": Conversation(
            subject="Telemóvel avariado dentro da garantia",
            message=(
                "Comprei um telemóvel na vossa loja há oito meses e o ecrã deixou de responder ao"
                " toque. Não caiu nem apanhou água. Está dentro da garantia; como faço para o"
                " reparar?"
            ),
            reply=(
                "Olá {first_name},\n\nO equipamento está coberto pela garantia. Pode entregá-lo em"
                " qualquer loja ou pedimos a recolha em casa, sem custos. A reparação demora no"
                " máximo 30 dias. Qual prefere?\n\n{agent}"
            ),
            followup="Prefiro a recolha em casa, de manhã se possível. Emprestam-me um telemóvel entretanto?",
            resolution=(
                "Olá {first_name},\n\nO seu telemóvel foi reparado (substituição do ecrã, processo"
                " {reference}) e segue hoje de volta para si. A garantia foi prolongada por mais seis"
                " meses.\n\n{agent}"
            ),
            note="Reparação ao abrigo da garantia, processo {reference}. Pedido telemóvel de substituição.",
            handoff=(
                "Ecrã avariado, dentro da garantia. O cliente quer recolha em casa de manhã e um"
                " telemóvel de substituição."
            ),
        ),
        "es": Conversation(
            subject="Móvil averiado en garantía",
            message=(
                "Compré un móvil en su tienda hace ocho meses y la pantalla ha dejado de responder."
                " No se ha caído ni se ha mojado. Está en garantía; ¿cómo lo reparo?"
            ),
            reply=(
                "Hola, {first_name}:\n\nEl equipo está cubierto por la garantía. Puede llevarlo a"
                " cualquier tienda o podemos recogerlo en su casa sin coste. ¿Qué prefiere?\n\n{agent}"
            ),
            followup="Prefiero que lo recojan en casa, por la mañana si es posible. ¿Me dejan un móvil mientras tanto?",
            resolution=(
                "Hola, {first_name}:\n\nSu móvil ya está reparado (cambio de pantalla, expediente"
                " {reference}) y hoy se lo enviamos de vuelta.\n\n{agent}"
            ),
            note="Reparación en garantía, expediente {reference}. Solicitado un móvil de sustitución.",
            handoff=(
                "Pantalla averiada, en garantía. El cliente quiere recogida en casa por la mañana y"
                " un móvil de sustitución."
            ),
        ),
        "ro": Conversation(
            subject="Telefon defect în garanție",
            message=(
                "Am cumpărat un telefon din magazinul dumneavoastră acum opt luni și ecranul nu mai"
                " răspunde la atingere. Nu a căzut și nu a intrat apă în el. Este în garanție; cum îl"
                " pot repara?"
            ),
            reply=(
                "Bună ziua, {first_name},\n\nTelefonul este acoperit de garanție. Îl puteți lăsa în"
                " orice magazin sau îl putem ridica de acasă, gratuit. Reparația durează cel mult 15"
                " zile. Ce preferați?\n\n{agent}"
            ),
            followup="Prefer să fie ridicat de acasă, dimineața dacă se poate. Primesc un telefon de schimb între timp?",
            resolution=(
                "Bună ziua, {first_name},\n\nTelefonul a fost reparat (ecran înlocuit, dosarul"
                " {reference}) și vi-l trimitem astăzi înapoi.\n\n{agent}"
            ),
            note="Reparație în garanție, dosarul {reference}. Am cerut un telefon de schimb.",
            handoff=(
                "Ecran defect, în garanție. Clientul vrea ridicare de acasă dimineața și un telefon"
                " de schimb."
            ),
        ),
        "pl": Conversation(
            subject="Reklamacja: ekran telefonu nie działa",
            message=(
                "Telefon kupiony w Państwa salonie osiem miesięcy temu przestał reagować na dotyk."
                " Nie upadł i nie był zalany. Jak zgłosić go do naprawy?"
            ),
            reply=(
                "Dzień dobry,\n\nurządzenie jest objęte reklamacją z tytułu niezgodności z umową."
                " Można je oddać w dowolnym salonie albo zamówić bezpłatny odbiór z domu. Co będzie"
                " wygodniejsze?\n\n{agent}"
            ),
            followup="Wolę odbiór z domu, najlepiej rano. Czy na czas naprawy dostanę telefon zastępczy?",
            resolution=(
                "Dzień dobry,\n\ntelefon został naprawiony (wymiana ekranu, zgłoszenie {reference})"
                " i dziś wraca do Państwa. Dziękujemy za cierpliwość.\n\n{agent}"
            ),
            note="Naprawa w ramach reklamacji, zgłoszenie {reference}. Zamówiono telefon zastępczy.",
            handoff=(
                "Uszkodzony ekran, reklamacja w terminie. Klient chce odbioru z domu rano i telefonu"
                " zastępczego."
            ),
        ),
        "en": Conversation(
            subject="Faulty phone under warranty",
            message=(
                "I bought a phone from your shop eight months ago and the screen has stopped"
                " responding to touch. It hasn't been dropped or got wet. It's under warranty, so how"
                " do I get it repaired?"
            ),
            reply=(
                "Hi {first_name},\n\nYour phone is covered. You can drop it at any of our shops or we"
                " can collect it from your home free of charge. Which would you prefer?\n\n{agent}"
            ),
            followup="Collection from home, in the morning if possible. Can I have a loan phone in the meantime?",
            resolution=(
                "Hi {first_name},\n\nYour phone has been repaired (new screen, case {reference}) and"
                " is on its way back to you today.\n\n{agent}"
            ),
            note="Warranty repair, case {reference}. Loan phone requested.",
            handoff="Faulty screen, under warranty. The customer wants a morning home collection and a loan phone.",
        ),
    },
)

AGENT_COMPLAINT = Scenario(
    key="agent_complaint",
    kind=Kind.COMPLAINT,
    team="complaints",
    priority=Priority.HIGH,
    tags=("agent-conduct", "shop"),
    weight=8,
    texts={
        "pt": Conversation(
            subject="Reclamação sobre o atendimento na loja",
            message=(
                "Fui ontem à loja do Colombo e o funcionário que me atendeu foi mal-educado: não me"
                " deixou explicar o problema e disse-me para ligar para a linha de apoio. Quero"
                " apresentar uma reclamação formal."
            ),
            reply=(
                "Olá {first_name},\n\nLamentamos muito o que aconteceu. Registámos a sua reclamação"
                " com o número {reference} e o responsável da loja vai analisar o sucedido. Pode"
                " indicar-nos a hora aproximada da visita?\n\n{agent}"
            ),
            followup="Foi por volta das 15h30. E continuo sem resposta ao que me levou lá: a mudança de tarifário.",
            resolution=(
                "Olá {first_name},\n\nFalámos com a equipa da loja e o caso foi tratado internamente."
                " A mudança de tarifário que pediu já está ativa. Obrigado por nos dar a oportunidade"
                " de corrigir.\n\n{agent}"
            ),
            note="Reclamação {reference} encaminhada à gestão da loja. O cliente também queria mudar de tarifário.",
            handoff=(
                "Reclamação formal sobre um colega da loja (ref. {reference}). Ficou por tratar a"
                " mudança de tarifário."
            ),
        ),
        "es": Conversation(
            subject="Queja sobre la atención en la tienda",
            message=(
                "Ayer fui a la tienda de Gran Vía y el empleado que me atendió fue muy maleducado:"
                " no me dejó explicar el problema y me dijo que llamara al teléfono de atención al"
                " cliente. Quiero poner una reclamación formal."
            ),
            reply=(
                "Hola, {first_name}:\n\nLamentamos mucho lo ocurrido. Hemos registrado su reclamación"
                " con el número {reference} y la responsable de la tienda va a revisar lo sucedido."
                " ¿Recuerda a qué hora fue?\n\n{agent}"
            ),
            followup="Fue sobre las tres y media. Y sigo sin solución a lo que me llevó allí: el cambio de tarifa.",
            resolution=(
                "Hola, {first_name}:\n\nHemos hablado con el equipo de la tienda y el caso se ha"
                " tratado internamente. El cambio de tarifa que pidió ya está activo. Gracias por"
                " darnos la oportunidad de corregirlo.\n\n{agent}"
            ),
            note="Reclamación {reference} enviada a la dirección de la tienda. El cliente también quería cambiar de tarifa.",
            handoff=(
                "Reclamación formal sobre un compañero de tienda (ref. {reference}). Queda pendiente"
                " el cambio de tarifa."
            ),
        ),
        "ro": Conversation(
            subject="Reclamație despre un angajat din magazin",
            message=(
                "Ieri am fost la magazinul din Mall Băneasa, iar angajatul care m-a servit a fost"
                " nepoliticos: nu m-a lăsat să explic problema și mi-a spus să sun la serviciul"
                " clienți. Vreau să fac o reclamație oficială."
            ),
            reply=(
                "Bună ziua, {first_name},\n\nNe pare foarte rău pentru ce s-a întâmplat. Am"
                " înregistrat reclamația cu numărul {reference}, iar șefa magazinului va analiza"
                " situația. Vă amintiți la ce oră ați fost acolo?\n\n{agent}"
            ),
            followup="Pe la trei și jumătate. Și tot nu s-a rezolvat motivul pentru care am mers: schimbarea abonamentului.",
            resolution=(
                "Bună ziua, {first_name},\n\nAm discutat cu echipa magazinului, iar cazul a fost"
                " tratat intern. Schimbarea de abonament pe care ați cerut-o este deja activă. Vă"
                " mulțumim că ne-ați dat ocazia să corectăm situația.\n\n{agent}"
            ),
            note="Reclamația {reference} trimisă conducerii magazinului. Clientul voia și schimbarea abonamentului.",
            handoff=(
                "Reclamație oficială despre un coleg din magazin (ref. {reference}). Rămâne de făcut"
                " schimbarea abonamentului."
            ),
        ),
        "pl": Conversation(
            subject="Skarga na obsługę w salonie",
            message=(
                "Wczoraj w salonie w Galerii Mokotów pracownik zachowywał się niegrzecznie: nie"
                " pozwolił wyjaśnić problemu i kazał dzwonić na infolinię. Chcę złożyć oficjalną"
                " skargę."
            ),
            reply=(
                "Dzień dobry,\n\nbardzo przepraszamy za tę sytuację. Skarga została zarejestrowana"
                " pod numerem {reference}, a kierowniczka salonu wyjaśni sprawę. O której godzinie"
                " miała miejsce wizyta?\n\n{agent}"
            ),
            followup="Około wpół do czwartej. I nadal nie została załatwiona moja sprawa: zmiana taryfy.",
            resolution=(
                "Dzień dobry,\n\nrozmawialiśmy z zespołem salonu i sprawa została wyjaśniona"
                " wewnętrznie. Zmiana taryfy, o którą Państwo prosili, jest już aktywna. Dziękujemy"
                " za możliwość naprawienia błędu.\n\n{agent}"
            ),
            note="Skarga {reference} przekazana kierownictwu salonu. Klient chciał też zmienić taryfę.",
            handoff="Oficjalna skarga na pracownika salonu (nr {reference}). Do zrobienia zostaje zmiana taryfy.",
        ),
        "en": Conversation(
            subject="Complaint about a member of staff",
            message=(
                "I went to the Oxford Street shop yesterday and the member of staff who served me"
                " was rude. He didn't let me explain the problem and told me to ring the helpline. I"
                " want to make a formal complaint."
            ),
            reply=(
                "Hi {first_name},\n\nI'm very sorry about what happened. We've logged your complaint"
                " as {reference} and the shop manager will look into it. Do you remember roughly what"
                " time you were there?\n\n{agent}"
            ),
            followup="About half past three. And the reason I went in still isn't sorted: changing my plan.",
            resolution=(
                "Hi {first_name},\n\nWe've spoken to the shop team and dealt with this internally."
                " The plan change you asked for is now active. Thank you for giving us the chance to"
                " put it right.\n\n{agent}"
            ),
            note="Complaint {reference} passed to the shop's management. The customer also wanted a plan change.",
            handoff="Formal complaint about a shop colleague (ref. {reference}). The plan change is still to do.",
        ),
    },
)

MOVING_HOUSE = Scenario(
    key="moving_house",
    kind=Kind.QUESTION,
    team="technical",
    priority=Priority.NORMAL,
    tags=("moving", "installation"),
    weight=12,
    texts={
        "pt": Conversation(
            subject="Mudança de casa: transferir o serviço",
            message=(
                "Vou mudar de casa no fim do mês e quero levar o serviço de internet e televisão"
                " para a nova morada. O que tenho de fazer e quanto custa?"
            ),
            reply=(
                "Olá {first_name},\n\nA mudança de morada é gratuita. Precisamos da nova morada"
                " completa e de uma data para a instalação. Verificámos que a nova zona tem"
                " cobertura de fibra.\n\n{agent}"
            ),
            followup="A nova morada é Rua das Flores, 12, 2.º esq., Porto. Pode ser no dia 30, de manhã?",
            resolution=(
                "Olá {first_name},\n\nA instalação na nova morada ficou marcada para dia 30, entre as"
                " 9h e as 13h. O técnico leva um router novo. Boa mudança!\n\n{agent}"
            ),
            note="Mudança de morada: cobertura de fibra verificada; agendamento {reference}.",
            handoff="O cliente muda de casa no fim do mês; a nova morada tem fibra. Falta agendar a instalação.",
        ),
        "es": Conversation(
            subject="Mudanza: trasladar el servicio",
            message=(
                "Me mudo a finales de mes y quiero llevarme el servicio de internet y televisión a"
                " la nueva casa. ¿Qué tengo que hacer y cuánto cuesta?"
            ),
            reply=(
                "Hola, {first_name}:\n\nEl cambio de domicilio es gratuito. Necesitamos la nueva"
                " dirección completa y una fecha para la instalación. Hemos comprobado que la nueva"
                " zona tiene cobertura de fibra.\n\n{agent}"
            ),
            followup="La nueva dirección es Calle Mayor 24, 3.º B, Valencia. ¿Puede ser el día 30 por la mañana?",
            resolution=(
                "Hola, {first_name}:\n\nLa instalación en su nuevo domicilio queda programada para el"
                " día 30, de 9:00 a 13:00. El técnico llevará un router nuevo. ¡Feliz mudanza!\n\n{agent}"
            ),
            note="Cambio de domicilio: cobertura de fibra comprobada; cita {reference}.",
            handoff="El cliente se muda a finales de mes; la nueva dirección tiene fibra. Falta programar la instalación.",
        ),
        "ro": Conversation(
            subject="Mă mut: transferul serviciului",
            message=(
                "Mă mut la sfârșitul lunii și vreau să iau serviciul de internet și televiziune la"
                " noua adresă. Ce trebuie să fac și cât costă?"
            ),
            reply=(
                "Bună ziua, {first_name},\n\nMutarea serviciului este gratuită. Avem nevoie de adresa"
                " completă și de o dată pentru instalare. Am verificat că noua zonă are acoperire de"
                " fibră.\n\n{agent}"
            ),
            followup="Noua adresă este Strada Florilor 12, ap. 4, Cluj-Napoca. Se poate pe 30, dimineața?",
            resolution=(
                "Bună ziua, {first_name},\n\nInstalarea la noua adresă este programată pe 30, între"
                " orele 9 și 13. Tehnicianul va aduce un router nou. Mutare ușoară!\n\n{agent}"
            ),
            note="Mutare: acoperire de fibră verificată; programarea {reference}.",
            handoff="Clientul se mută la sfârșitul lunii; noua adresă are fibră. Mai trebuie programată instalarea.",
        ),
        "pl": Conversation(
            subject="Przeprowadzka: przeniesienie usługi",
            message=(
                "Pod koniec miesiąca się przeprowadzam i chcę przenieść internet i telewizję pod"
                " nowy adres. Co muszę zrobić i ile to kosztuje?"
            ),
            reply=(
                "Dzień dobry,\n\nprzeniesienie usługi jest bezpłatne. Potrzebujemy pełnego nowego"
                " adresu i terminu instalacji. Sprawdziliśmy, że pod nowym adresem jest dostępny"
                " światłowód.\n\n{agent}"
            ),
            followup="Nowy adres to ul. Kwiatowa 12 m. 4, Kraków. Czy może być 30., rano?",
            resolution=(
                "Dzień dobry,\n\ninstalacja pod nowym adresem jest umówiona na 30., między 9:00 a"
                " 13:00. Technik przywiezie nowy router. Udanej przeprowadzki!\n\n{agent}"
            ),
            note="Przeprowadzka: dostępność światłowodu potwierdzona; termin {reference}.",
            handoff="Klient przeprowadza się pod koniec miesiąca; nowy adres ma światłowód. Trzeba umówić instalację.",
        ),
        "en": Conversation(
            subject="Moving house: transferring my service",
            message=(
                "I'm moving at the end of the month and want to take my broadband and TV to the new"
                " address. What do I need to do and how much does it cost?"
            ),
            reply=(
                "Hi {first_name},\n\nMoving your service is free. We need your full new address and a"
                " date for the installation. We've checked and the new area has full fibre.\n\n{agent}"
            ),
            followup="The new address is 12 Elm Road, Flat 2, Manchester. Could it be on the 30th, in the morning?",
            resolution=(
                "Hi {first_name},\n\nYour installation at the new address is booked for the 30th"
                " between 9am and 1pm. The engineer will bring a new router. Good luck with the"
                " move!\n\n{agent}"
            ),
            note="Home move: fibre coverage checked; appointment {reference}.",
            handoff="The customer moves at the end of the month; the new address has fibre. Installation still to book.",
        ),
    },
)

APP_SUGGESTION = Scenario(
    key="app_suggestion",
    kind=Kind.SUGGESTION,
    team="complaints",
    priority=Priority.LOW,
    tags=("app", "feedback"),
    weight=6,
    texts={
        "pt": Conversation(
            subject="Sugestão para a aplicação",
            message=(
                "Gostava de sugerir que a aplicação mostrasse o consumo de dados por dia, e não só o"
                " total do mês. Assim era mais fácil perceber o que gasta mais."
            ),
            reply=(
                "Olá {first_name},\n\nObrigado pela sugestão! Passámos a ideia à equipa que"
                " desenvolve a aplicação. Damos notícias quando houver novidades.\n\n{agent}"
            ),
            followup="Obrigado. Já agora, também seria útil receber um aviso quando chego aos 80% dos dados.",
            resolution=(
                "Olá {first_name},\n\nBoas notícias: a nova versão da aplicação já mostra o consumo"
                " diário e permite ativar avisos de consumo. Obrigado por nos ajudar a melhorar.\n\n{agent}"
            ),
            note="Sugestão registada na lista de trabalho da aplicação ({reference}).",
            handoff="Sugestão sobre a aplicação (consumo diário e avisos). Passar à equipa de produto.",
        ),
        "es": Conversation(
            subject="Sugerencia para la aplicación",
            message=(
                "Me gustaría sugerir que la aplicación mostrara el consumo de datos por día y no solo"
                " el total del mes. Así sería más fácil ver qué gasta más."
            ),
            reply=(
                "Hola, {first_name}:\n\n¡Gracias por la sugerencia! Se la hemos pasado al equipo que"
                " desarrolla la aplicación. Le avisaremos cuando haya novedades.\n\n{agent}"
            ),
            followup="Gracias. Por cierto, también estaría bien recibir un aviso al llegar al 80 % de los datos.",
            resolution=(
                "Hola, {first_name}:\n\nBuenas noticias: la nueva versión de la aplicación ya muestra"
                " el consumo diario y permite activar avisos de consumo. Gracias por ayudarnos a"
                " mejorar.\n\n{agent}"
            ),
            note="Sugerencia registrada en la lista de trabajo de la aplicación ({reference}).",
            handoff="Sugerencia sobre la aplicación (consumo diario y avisos). Pasar al equipo de producto.",
        ),
        "ro": Conversation(
            subject="Sugestie pentru aplicație",
            message=(
                "Aș vrea să sugerez ca aplicația să arate consumul de date pe fiecare zi, nu doar"
                " totalul lunii. Așa ar fi mai ușor de văzut ce consumă cel mai mult."
            ),
            reply=(
                "Bună ziua, {first_name},\n\nVă mulțumim pentru sugestie! Am transmis-o echipei care"
                " dezvoltă aplicația și vă anunțăm când apar noutăți.\n\n{agent}"
            ),
            followup="Mulțumesc. Apropo, ar fi util și un avertisment când ajung la 80% din date.",
            resolution=(
                "Bună ziua, {first_name},\n\nVești bune: noua versiune a aplicației arată consumul"
                " zilnic și permite activarea alertelor de consum. Vă mulțumim că ne ajutați să ne"
                " îmbunătățim.\n\n{agent}"
            ),
            note="Sugestie înregistrată în lista de lucru a aplicației ({reference}).",
            handoff="Sugestie despre aplicație (consum zilnic și alerte). De trimis echipei de produs.",
        ),
        "pl": Conversation(
            subject="Sugestia dotycząca aplikacji",
            message=(
                "Mam sugestię: aplikacja mogłaby pokazywać zużycie danych z każdego dnia, a nie tylko"
                " sumę z całego miesiąca. Łatwiej byłoby zobaczyć, co zużywa najwięcej."
            ),
            reply=(
                "Dzień dobry,\n\ndziękujemy za sugestię! Przekazaliśmy ją zespołowi, który rozwija"
                " aplikację. Damy znać, gdy pojawią się nowości.\n\n{agent}"
            ),
            followup="Dziękuję. Przydałoby się też powiadomienie po wykorzystaniu 80% pakietu danych.",
            resolution=(
                "Dzień dobry,\n\nmamy dobrą wiadomość: nowa wersja aplikacji pokazuje dzienne zużycie"
                " i pozwala włączyć powiadomienia. Dziękujemy za pomoc w ulepszaniu naszych usług.\n\n{agent}"
            ),
            note="Sugestia dodana do listy zadań zespołu aplikacji ({reference}).",
            handoff="Sugestia dotycząca aplikacji (dzienne zużycie i powiadomienia). Przekazać zespołowi produktu.",
        ),
        "en": Conversation(
            subject="Suggestion for the app",
            message=(
                "I'd like to suggest that the app shows data use per day, not just the monthly total."
                " It would make it easier to see what uses the most."
            ),
            reply=(
                "Hi {first_name},\n\nThanks for the suggestion! We've passed it on to the team that"
                " builds the app and will let you know when there's news.\n\n{agent}"
            ),
            followup="Thanks. While you're at it, an alert at 80% of my data would be useful too.",
            resolution=(
                "Hi {first_name},\n\nGood news: the new version of the app shows daily use and lets"
                " you turn on usage alerts. Thanks for helping us improve.\n\n{agent}"
            ),
            note="Suggestion added to the app backlog ({reference}).",
            handoff="Suggestion about the app (daily use and alerts). Pass to the product team.",
        ),
    },
)

PRICE_RISE = Scenario(
    key="price_rise",
    kind=Kind.CONCERN,
    team="billing",
    priority=Priority.NORMAL,
    tags=("price-change", "contract"),
    weight=12,
    texts={
        "pt": Conversation(
            subject="Aumento de preço sem aviso",
            message=(
                "Reparei que a mensalidade subiu para {amount} sem qualquer aviso. Estou fidelizado e"
                " não aceito este aumento. Posso rescindir sem penalização?"
            ),
            reply=(
                "Olá {first_name},\n\nO aumento resulta da atualização anual de preços prevista no"
                " contrato, comunicada na fatura de há dois meses. Mesmo assim, vou verificar se tem"
                " direito a rescindir sem penalização.\n\n{agent}"
            ),
            followup="Não recebi aviso nenhum. Quero uma resposta por escrito.",
            resolution=(
                "Olá {first_name},\n\nComo a comunicação não lhe chegou a tempo, mantemos o preço"
                " anterior até ao fim da fidelização. Enviámos a confirmação por escrito para o seu"
                " email.\n\n{agent}"
            ),
            note="Verificar se a comunicação da atualização de preços foi enviada ({reference}).",
            handoff="O cliente contesta o aumento da mensalidade para {amount} e pede resposta por escrito.",
        ),
        "es": Conversation(
            subject="Subida de precio sin aviso",
            message=(
                "He visto que la cuota mensual ha subido a {amount} sin ningún aviso. Tengo"
                " permanencia y no acepto esta subida. ¿Puedo darme de baja sin penalización?"
            ),
            reply=(
                "Hola, {first_name}:\n\nLa subida corresponde a la actualización anual de precios"
                " prevista en el contrato, que se comunicó en la factura de hace dos meses. Aun así,"
                " voy a comprobar si puede darse de baja sin penalización.\n\n{agent}"
            ),
            followup="Yo no recibí ningún aviso. Quiero una respuesta por escrito.",
            resolution=(
                "Hola, {first_name}:\n\nComo el aviso no le llegó a tiempo, mantenemos el precio"
                " anterior hasta el final de la permanencia. Le hemos enviado la confirmación por"
                " escrito a su correo electrónico.\n\n{agent}"
            ),
            note="Comprobar si se envió la comunicación de la actualización de precios ({reference}).",
            handoff="El cliente reclama la subida de la cuota a {amount} y pide una respuesta por escrito.",
        ),
        "ro": Conversation(
            subject="Abonament scumpit fără înștiințare",
            message=(
                "Am observat că abonamentul lunar a crescut la {amount} fără nicio înștiințare. Am"
                " contract pe perioadă determinată și nu accept această creștere. Pot rezilia fără"
                " penalități?"
            ),
            reply=(
                "Bună ziua, {first_name},\n\nCreșterea vine din actualizarea anuală a prețurilor"
                " prevăzută în contract, anunțată în factura de acum două luni. Totuși, verific dacă"
                " puteți rezilia fără penalități.\n\n{agent}"
            ),
            followup="Nu am primit nicio înștiințare. Vreau un răspuns în scris.",
            resolution=(
                "Bună ziua, {first_name},\n\nPentru că înștiințarea nu v-a ajuns la timp, păstrăm"
                " prețul vechi până la sfârșitul contractului. V-am trimis confirmarea în scris pe"
                " e-mail.\n\n{agent}"
            ),
            note="De verificat dacă a fost trimisă înștiințarea despre actualizarea prețurilor ({reference}).",
            handoff="Clientul contestă creșterea abonamentului la {amount} și cere un răspuns în scris.",
        ),
        "pl": Conversation(
            subject="Podwyżka abonamentu bez powiadomienia",
            message=(
                "Abonament wzrósł do {amount} bez żadnego powiadomienia. Mam umowę na czas określony"
                " i nie zgadzam się na podwyżkę. Czy mogę ją rozwiązać bez kary?"
            ),
            reply=(
                "Dzień dobry,\n\npodwyżka wynika z corocznej waloryzacji cen przewidzianej w umowie,"
                " o której informowaliśmy na fakturze dwa miesiące temu. Sprawdzę jednak, czy"
                " przysługuje Państwu rozwiązanie umowy bez kary.\n\n{agent}"
            ),
            followup="Żadne powiadomienie do mnie nie dotarło. Proszę o odpowiedź na piśmie.",
            resolution=(
                "Dzień dobry,\n\nponieważ powiadomienie nie dotarło na czas, utrzymujemy dotychczasową"
                " cenę do końca umowy. Potwierdzenie na piśmie wysłaliśmy e-mailem.\n\n{agent}"
            ),
            note="Sprawdzić, czy wysłano powiadomienie o waloryzacji cen ({reference}).",
            handoff="Klient kwestionuje podwyżkę abonamentu do {amount} i chce odpowiedzi na piśmie.",
        ),
        "en": Conversation(
            subject="Price rise without notice",
            message=(
                "I've noticed my monthly price has gone up to {amount} without any notice. I'm in a"
                " fixed-term contract and don't accept this rise. Can I leave without a penalty?"
            ),
            reply=(
                "Hi {first_name},\n\nThe rise comes from the yearly price change in your contract,"
                " announced on your bill two months ago. Even so, I'll check whether you can leave"
                " without a penalty.\n\n{agent}"
            ),
            followup="I never received any notice. I want an answer in writing.",
            resolution=(
                "Hi {first_name},\n\nAs the notice didn't reach you in time, we'll keep your previous"
                " price until the end of your contract. We've sent written confirmation to your"
                " email.\n\n{agent}"
            ),
            note="Check whether the price-change notice was sent ({reference}).",
            handoff="The customer disputes the monthly price rising to {amount} and wants a written answer.",
        ),
    },
)

SCENARIOS = [
    WRONG_INVOICE,
    OUTAGE,
    LATE_ORDER,
    WARRANTY_REPAIR,
    AGENT_COMPLAINT,
    MOVING_HOUSE,
    APP_SUGGESTION,
    PRICE_RISE,
]
