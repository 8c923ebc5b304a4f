#!/usr/bin/env python3
"""Writes the small Llama-style and Qwen-style tokenizer.json test files (no real ones are available
offline). Both follow the Hugging Face tokenizers JSON format of the real files:
- llama-spbpe: SentencePiece BPE as in Llama 2 / TinyLlama: <unk> <s> </s>, the 256 byte-fallback
  tokens <0x00>..<0xFF> at ids 3..258, Metaspace ("▁") pre-tokenizer, byte_fallback, decoder
  Replace(▁ -> space) + ByteFallback + Fuse + Strip(1 leading space).
- qwen-bytelevel: byte-level BPE as in Qwen2: NFC normalizer, Qwen2's split regex + ByteLevel
  pre-tokenizer, ByteLevel decoder, the 256 byte symbols first, then merges; <|endoftext|>,
  <|im_start|>, <|im_end|> as added special tokens.
Vocabulary sizes match the model fixtures (llama-tiny-a: 512; qwen2-tiny: 600 with bos 597, eos 598), so
the fixtures can be served with them. Each directory also gets a tokenizer_config.json with bos/eos and a chat_template.
Run: python3 make_tokenizers.py (from this directory)."""
import json, os

def added(i, content):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}

def bpe(vocab, merges_words):
    """Adds merges so that each word in merges_words becomes one token (left-to-right merges)."""
    merges = []
    for w in merges_words:
        cur = w[0]
        for ch in w[1:]:
            pair = (cur, ch)
            if pair not in merges:
                merges.append(pair)
            cur = cur + ch
            if cur not in vocab:
                vocab[cur] = max(vocab.values()) + 1
    return merges

def llama():
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = 3 + b
    for ch in "▁abcdefghijklmnopqrstuvwxyzHTW,.!?é":
        vocab[ch] = max(vocab.values()) + 1
    words = ["▁the", "▁The", "▁cat", "▁sat", "▁on", "▁mat", "in", "ing", "▁Hello", "▁world", "er", "▁café"]
    merges = bpe(vocab, words)
    fill_pairs(vocab, merges, "abcdefghilmnorstu", 512)  # the size of llama-tiny-a's vocabulary
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")],
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
              "unk_token": "<unk>", "pad_token": None, "legacy": False, "model_max_length": 2048,
              "tokenizer_class": "LlamaTokenizer",
              "chat_template": "{% for message in messages %}{% if message['role'] == 'user' %}"
                               "{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}"
                               "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
                               "{% endif %}{% endfor %}"}
    return tok, config

def fill_pairs(vocab, merges, letters, size):
    """Two-letter merges (as real vocabularies have) until the vocabulary has `size` entries."""
    for a in letters:
        for b in letters:
            if len(vocab) >= size:
                return
            if a + b not in vocab:
                merges.append((a, b))
                vocab[a + b] = max(vocab.values()) + 1

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))

def qwen():
    b2u = bytes_to_unicode()
    vocab = {}
    for b in range(256):
        vocab[b2u[b]] = len(vocab)
    enc = lambda s: "".join(b2u[b] for b in s.encode("utf-8"))
    words = [enc(w) for w in [" the", " cat", " sat", "Hello", " world", "in", "ing", " café", "你好"]]
    merges = []
    for w in words:
        cur = w[0]
        for ch in w[1:]:
            if (cur, ch) not in merges:
                merges.append((cur, ch))
            cur += ch
            vocab.setdefault(cur, len(vocab))
    fill_pairs(vocab, merges, "abcdefghilmnorstuvw", 597)  # qwen2-tiny: specials at 597..599
    n = len(vocab)
    # <|im_end|> at 598 = qwen2-tiny's eos_token_id (the real Qwen2 order differs; only the names matter)
    specials = [added(n, "<|endoftext|>"), added(n + 1, "<|im_end|>"), added(n + 2, "<|im_start|>")]
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": specials,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    config = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
              "unk_token": None, "model_max_length": 32768, "tokenizer_class": "Qwen2Tokenizer",
              "errors": "replace", "split_special_tokens": False,
              "chat_template": "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
                               "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
                               "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"}
    return tok, config

for name, (tok, config) in {"llama-spbpe": llama(), "qwen-bytelevel": qwen()}.items():
    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=2)
    with open(os.path.join(name, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
