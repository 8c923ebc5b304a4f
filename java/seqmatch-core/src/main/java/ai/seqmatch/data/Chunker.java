/*
 * Rows -> Examples. Text documents are joined into one token stream with EOS after each document and cut
 * into fixed windows; pairs become one Example each. Tested by ChunkerTest.
 */
package ai.seqmatch.data;

import ai.seqmatch.tokenize.SpecialTokens;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tokenises and cuts rows into Examples of exactly {@code seqLen} tokens (text) or at most seqLen (pairs).
 *
 * <p>Text: stream = doc1 EOS doc2 EOS ... (EOS omitted if the tokenizer has none). Each chunk is BOS plus
 * the next seqLen - 1 stream tokens when the tokenizer has a BOS (every chunk then starts in a known
 * state, as a model sees at generation time), else the next seqLen tokens. The incomplete tail of the
 * stream is dropped: padding it would train on padding. Chunks never overlap. A {@link Window} cuts a
 * stream fed in pieces, holding less than one chunk.
 *
 * <p>Pairs: prompt = start + tokens(prompt), where start is BOS, or EOS when there is no BOS (GPT-2's
 * convention: a text begins after an end of text), so even an empty prompt gives the model a position to
 * predict the first completion token from; completion = tokens(completion) + EOS, cut to fit seqLen.
 * A prompt that leaves no room for one completion token is a bad row (policy decides).
 */
public final class Chunker {
  private final Tokenizer tokenizer;
  private final int seqLen;

  public Chunker(Tokenizer tokenizer, int seqLen) {
    if (seqLen < 2) {
      throw new IllegalArgumentException("chunker: seqLen too small (got " + seqLen + ", expected >= 2)");
    }
    this.tokenizer = tokenizer;
    this.seqLen = seqLen;
  }

  /** The token stream of {@code docs}: each document's ids followed by EOS. */
  public long[] stream(List<Row.Text> docs) {
    long eos = tokenizer.specials().eos();
    LongList out = new LongList();
    for (Row.Text d : docs) {
      out.addAll(tokenizer.encode(d.text()));
      if (eos != SpecialTokens.NONE) {
        out.add(eos);
      }
    }
    return out.toArray();
  }

  /** Fixed-length chunks of {@code stream} (see class comment). */
  public List<Example> chunks(long[] stream) {
    List<Example> out = new ArrayList<>();
    Window w = window(out::add);
    w.add(stream);
    return out;
  }

  /** An incremental cutter that hands each chunk to {@code out} as soon as it is complete. */
  public Window window(Consumer<Example> out) {
    return new Window(out);
  }

  /**
   * Cuts a token stream fed piece by piece into the chunks {@link #chunks} gives for the whole stream;
   * it holds fewer than seqLen tokens between calls, so memory does not grow with the stream.
   */
  public final class Window {
    private final long[] prefix;
    private final long[] body;
    private final Consumer<Example> out;
    private int n;

    private Window(Consumer<Example> out) {
      SpecialTokens sp = tokenizer.specials();
      this.prefix = sp.hasBos() ? new long[] {sp.bos()} : new long[0];
      this.body = new long[seqLen - prefix.length];
      this.out = out;
    }

    /** Appends {@code ids} to the stream. */
    public void add(long[] ids) {
      for (int i = 0; i < ids.length; ) {
        int take = Math.min(body.length - n, ids.length - i);
        System.arraycopy(ids, i, body, n, take);
        n += take;
        i += take;
        if (n == body.length) {
          out.accept(new Example(prefix, body));
          n = 0;
        }
      }
    }

    /** Appends a document: its ids, then EOS (when the tokenizer has one). */
    public void addDocument(long[] ids) {
      add(ids);
      endDocument();
    }

    /** Appends the EOS that ends a document (when the tokenizer has one). */
    public void endDocument() {
      long eos = tokenizer.specials().eos();
      if (eos != SpecialTokens.NONE) {
        add(new long[] {eos});
      }
    }
  }

  /** The Example of a pair, or null when the reader's policy skipped it. */
  public Example pair(Row.Pair row, DataReader reader) {
    SpecialTokens sp = tokenizer.specials();
    long[] prompt = tokenizer.encodePrompt(row.prompt());
    if (prompt.length > seqLen - 1) {
      reader.reject(row.where(), "prompt too long (got " + prompt.length + " tokens, expected <= "
          + (seqLen - 1) + " to leave room for the completion). Hint: raise seqLen or shorten the prompt");
      return null;
    }
    long[] c = tokenizer.encode(row.completion());
    long[] completion = sp.hasEos() ? concat(c, new long[] {sp.eos()}) : c;
    return new Example(prompt, Arrays.copyOf(completion, Math.min(completion.length, seqLen - prompt.length)));
  }

  private static long[] concat(long[] a, long[] b) {
    long[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A growable long array: token streams are large enough that boxing would hurt. */
  private static final class LongList {
    private long[] a = new long[1024];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, a.length * 2);
      }
      a[n++] = v;
    }

    void addAll(long[] vs) {
      if (n + vs.length > a.length) {
        a = Arrays.copyOf(a, Math.max(a.length * 2, n + vs.length));
      }
      System.arraycopy(vs, 0, a, n, vs.length);
      n += vs.length;
    }

    long[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }
}
