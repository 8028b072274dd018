"""Word lists for dedup keys: stop words, generic titles, title markers, numbering words.

Every word is written as ``text.fold`` leaves it: ASCII, lower case, no punctuation (``for`` for
*für*, ``apresentacao`` for *apresentação*; elided articles such as *l'* and *d'* become ``l``
and ``d``).

Stop words are dropped from the keys that block and compare titles, never from what is shown.
They are the function words (articles, prepositions, conjunctions, pronouns and auxiliary verbs)
of the six languages the issue names: English, Spanish, Portuguese, French, German and Italian.
Keys use the union of the six lists whatever language a title claims, because harvested language
tags are often missing or wrong and a key must not depend on them: two spellings of one title
have to give the same key. Words that are function words in one of the languages but content
words in another (German *war*, Italian *era* and *dove*, French *son*) are left out of the
union so that "The war in Iraq" keeps its subject.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "GENERIC_TITLES",
    "JOURNAL_WORDS",
    "NUMBERING_WORDS",
    "STOP_WORDS",
    "STOP_WORDS_BY_LANGUAGE",
    "TITLE_MARKERS",
]

_EN = """
a an the and or but nor of in on at to for from by with without within into onto upon over
under about above below between among amongst through throughout during before after against
as than then so such this that these those there here which who whom whose what when where why
how is are was were be been being am do does did has have had having it its their theirs they
them our we us your you his her hers he she him i me my not no can could will would shall should
may might must also via vs versus toward towards per both each either neither all any some more
most other another its itself if whether while
"""
_ES = """
el la lo los las un una unos unas y e o u ni de del al a en con sin por para sobre entre hacia
hasta desde segun durante ante bajo tras mediante que como cuando donde cual cuales quien quienes
cuyo cuya cuyos cuyas su sus se le les es son fue fueron ser estar esta este esto estos estas
ese esa eso esos esas aquel aquella aquellos aquellas mas muy ya no pero sino tambien otro otra
otros otras sus nuestro nuestra
"""
_PT = """
o a os as um uma uns umas e ou nem de do da dos das em no na nos nas num numa ao aos pelo pela
pelos pelas por para com sem sobre entre ate desde segundo durante perante sob apos mediante
atraves que como quando onde qual quais quem cujo cuja cujos cujas seu sua seus suas se lhe lhes
e sao foi foram ser estar este esta isto estes estas esse essa isso esses essas aquele aquela
aqueles aquelas mais muito ja nao mas tambem outro outra outros outras nosso nossa
"""
_FR = """
le la les l un une des du de d au aux et ou ni en dans sur sous par pour avec sans entre vers
chez selon pendant avant apres contre que qu qui quoi dont comme quand ce cet cette ces c sa
ses leur leurs se s est sont etait etre a ont plus tres ne n pas mais aussi lors notre nos votre
vos y il ils elle elles on
"""
_DE = """
der die das den dem des ein eine einer eines einem einen und oder aber doch in im an am auf aus
bei beim mit nach von vom zu zum zur fur uber unter vor durch gegen ohne um zwischen wahrend
wegen als wie wenn dass ob ist sind war waren sein seine ihre wird werden wurde wurden hat haben
hatte nicht kein keine sich es er sie wir ihr auch noch nur so bis sowie
"""
_IT = """
il lo la i gli le l un uno una e ed o od di del dello della dei degli delle d a al allo alla
ai agli alle da dal dallo dalla dai dagli dalle in nel nello nella nei negli nelle su sul sullo
sulla sui sugli sulle con per tra fra che chi cui come quando dove quale quali suo sua suoi sue
si non ne ma anche piu molto sono era essere stato stata questo questa questi queste quello
quella verso tramite
"""

STOP_WORDS_BY_LANGUAGE: Final[dict[str, frozenset[str]]] = {
    lang: frozenset(words.split())
    for lang, words in (
        ("en", _EN),
        ("es", _ES),
        ("pt", _PT),
        ("fr", _FR),
        ("de", _DE),
        ("it", _IT),
    )
}

# Function words of one language that are content words of another of the six.
_CONTENT_ELSEWHERE = frozenset({"war", "era", "dove", "son", "chi", "sale", "will", "also"})

STOP_WORDS: Final[frozenset[str]] = (
    frozenset().union(*STOP_WORDS_BY_LANGUAGE.values()) - _CONTENT_ELSEWHERE
)

# Titles that name a kind of item rather than a work: thousands of different papers are called
# "Editorial". They never block together on the title alone and never match on title alone.
# Compared after folding, without stop words and without numbers ("Editorial 2" is generic).
_GENERIC = """
editorial|guest editorial|editorial note|editorial notes|editors note|editors notes|editor note
editorial comment|editorial board|introduction|preface|foreword|prologue|epilogue|afterword
book review|book reviews|book review column|review|reviews|books received|letter|letters
letter editor|letters editor|reply|response|comment|comments|commentary|correspondence
erratum|errata|corrigendum|correction|corrections|retraction|addendum|abstract|abstracts
index|contents|table contents|front matter|back matter|frontmatter|backmatter|cover|covers
issue information|masthead|announcement|announcements|news|obituary|in memoriam|memoriam
acknowledgement|acknowledgements|acknowledgment|acknowledgments|conclusion|conclusions
keynote|keynote address|invited talk|panel|panel discussion|discussion|chairs message
presidents message|message president|call papers|untitled|no title|title|report|reports
presentation|summary|summaries|appendix|supplement|supplementary material|miscellany|notes
reviewers|referees|list reviewers|thanks reviewers|foreword editors|overview|interview
presentacion|introduccion|prologo|prefacio|resena|resenas|resena libro|nota editorial
carta editor|cartas editor|indice|sumario|fe erratas|conclusiones|agradecimientos|obituario
noticias|editorial invitado|entrevista|apresentacao|introducao|resenha|resenhas|nota editor
carta ao editor|errata|conclusao|conclusoes|expediente|entrevista|editorial convidado
avant propos|compte rendu|comptes rendus|note lecture|notes lecture|recension|recensions
sommaire|table matieres|remerciements|nouvelles|hommage|liminaire|entretien|preambule
vorwort|einleitung|einfuhrung|geleitwort|rezension|rezensionen|buchbesprechung
buchbesprechungen|besprechungen|inhaltsverzeichnis|inhalt|nachruf|berichtigung|schlusswort
danksagung|editorial herausgeber|nachwort|editoriale|introduzione|prefazione|premessa
presentazione|recensione|recensioni|sommario|errata corrige|conclusioni|ringraziamenti
in memoria|notizie|intervista
"""
GENERIC_TITLES: Final[frozenset[str]] = frozenset(
    " ".join(t.split()) for line in _GENERIC.strip().splitlines() for t in line.split("|")
)

# Words and phrases that make a record a different item from the work it names: "Correction to:
# X" is not X, a review of a book is not the book. A title that carries one of these where the
# other title does not is a different work, however similar the rest (key words, folded).
TITLE_MARKERS: Final[frozenset[str]] = frozenset(
    line.strip()
    for line in """
    erratum
    errata
    corrigendum
    correction
    retraction
    retracted
    addendum
    reply
    rejoinder
    comment
    comments
    rebuttal
    book review
    review book
    resena
    resenha
    rezension
    buchbesprechung
    recension
    compte rendu
    recensione
    fe erratas
    errata corrige
    berichtigung
    """.strip().splitlines()
)

# Words after which a lone roman numeral is a number ("Part I", "Tome V"), not a letter.
_NUMBERING = """
part parts vol volume volumes book chapter section series no number issue edition phase stage
study paper report act appendix annex supplement
parte partes volumen tomo libro capitulo seccion numero edicion fase etapa livro seccao edicao
partie tome livre chapitre teil band buch kapitel heft ausgabe capitolo sezione fascicolo
"""
NUMBERING_WORDS: Final[frozenset[str]] = frozenset(_NUMBERING.split())

# Words that make a venue a journal (full and abbreviated, as in ISO 4 abbreviations: "J.",
# "Trans.", "Z."). Used to tell a journal article from a conference paper of the same title.
_JOURNAL = """
journal journals j jour jnl transactions trans letters lett annals ann bulletin bull magazine mag
quarterly archives arch acta
revista rev cuadernos cadernos boletim boletin periodico revue cahiers
zeitschrift z zeitschr jahrbuch blatter rivista riv giornale quaderni
"""
JOURNAL_WORDS: Final[frozenset[str]] = frozenset(_JOURNAL.split())
