/*
 * Backspace-aware batched generation on ONNX Runtime, step for step the native BatchDecoder
 * (native/src/sample/decoder.cpp): one action per unfinished row over vocab ∪ {<bkspc>}; <bkspc> is
 * masked while a row has generated nothing (or with allow_backspace off); a <bkspc> pops the last token,
 * drops the row's last TWO cache entries and re-feeds the new last token at its position, whose logits
 * are those of the shortened state. Finish rules in the native order: eos, stop, max_new_tokens,
 * max_actions (also after a backspace), length. Finished rows leave the batch. The no-retype rule (greedy,
 * or SamplingOptions.noRetype) masks the tokens deleted at the current state (ai.seqmatch.sample.RetypeBans).
 * Ragged rows: past is (B, H, Pmax, D) with each row's live entries first and the attention mask
 * marking them; the new token sits at slot Pmax. Legend: B rows, V actions, H heads, D head_dim.
 * Tested by OrtGeneratorTest (greedy identity with the native Generator, HF fixture, leaks/RSS).
 */
package ai.seqmatch.onnx;

import ai.onnxruntime.OrtSession;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.ModelOutputException;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationHandle;
import ai.seqmatch.sample.GenerationListener;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Generates with an {@link OrtModel}. Thread-safe: calls share the session, each has its own state. */
public final class OrtGenerator implements AutoCloseable {
  /** Prefill logits per ORT call, in floats (256 MiB): long prompts × large vocabularies go in groups. */
  static final long PREFILL_LOGITS = 64L << 20;

  private final OrtModel model;
  private final Set<GenerationHandle> streaming = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  volatile long prefillLogits = PREFILL_LOGITS; // tests shrink it to force one-row groups

  /** A generator over {@code model}; the model must stay open while it is used (it is not closed here). */
  public OrtGenerator(OrtModel model) {
    this.model = model;
  }

  public OrtModel model() {
    return model;
  }

  public GenerationResult generate(long[] prompt, SamplingOptions options) {
    return generate(List.of(prompt), options, null).get(0);
  }

  public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options) {
    return generate(prompts, options, null);
  }

  /**
   * Same contract as {@code ai.seqmatch.sample.Generator#generate(List, SamplingOptions, GenerationListener)}:
   * results in prompt order; events on the calling thread in action order; a listener may cancel rows.
   */
  public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options, GenerationListener listener) {
    if (closed) {
      throw new IllegalStateException("generator is closed");
    }
    List<DecodeRow> rows = rows(prompts, options);
    GenerationHandle handle = new GenerationHandle(rows.size());
    if (listener != null) {
      streaming.add(handle);
    }
    try {
      return model.withSession(s -> {
        OrtModel.Scratch sc = model.borrow();
        try {
          if (closed) {
            handle.cancelAll();
          }
          if (listener != null) {
            listener.onStart(handle);
          }
          new Decode(s, sc, rows, options, listener, handle).run();
          List<GenerationResult> out = new ArrayList<>(rows.size());
          for (DecodeRow r : rows) {
            out.add(r.result(options.logprobs()));
          }
          return out;
        } finally {
          model.release(sc);
        }
      });
    } finally {
      streaming.remove(handle);
    }
  }

  /** Cancels streaming generations in flight (their rows finish as CANCELLED); later calls fail. */
  @Override
  public void close() {
    closed = true;
    for (GenerationHandle h : streaming) {
      h.cancelAll();
    }
  }

  private List<DecodeRow> rows(List<long[]> prompts, SamplingOptions o) {
    OnnxModelInfo info = model.info();
    if (prompts == null || prompts.isEmpty()) {
      throw new InvalidInputException("generate: need at least one prompt (got 0)");
    }
    long[] seeds = o.rowSeeds();
    if (seeds != null && seeds.length != prompts.size()) {
      throw new InvalidInputException("generate: row_seeds has " + seeds.length + " entries for " + prompts.size()
          + " prompts (expected one seed per prompt)");
    }
    List<DecodeRow> rows = new ArrayList<>();
    for (int b = 0; b < prompts.size(); b++) {
      long[] p = prompts.get(b);
      if (p == null || p.length == 0) {
        throw new InvalidInputException("generate: prompt " + b + " is empty. Hint: start it with a BOS token");
      }
      if (p.length >= info.nPositions()) {
        throw new InvalidInputException("generate: prompt " + b + " has " + p.length + " tokens; the model's "
            + "context is " + info.nPositions());
      }
      for (long id : p) {
        if (id < 0 || id >= info.vocabSize()) {
          throw new InvalidInputException("generate: prompt " + b + " has token id " + id + " outside the "
              + "vocabulary (size " + info.vocabSize() + ")");
        }
      }
      // min first: a huge max_new_tokens must not overflow (the context ends the row anyway)
      int capacity = (int) Math.min(info.nPositions(), p.length + Math.min(o.maxNewTokens(), info.nPositions()));
      rows.add(new DecodeRow(b, seeds != null ? seeds[b] : o.seed() + b, p, capacity, (int) info.nLayer(),
          (int) info.nKvHeads(), (int) info.headDim()));
    }
    return rows;
  }

  /** The state of one generate call. */
  private final class Decode {
    private final OrtSession session;
    private final OrtModel.Scratch sc;
    private final List<DecodeRow> all;
    private final SamplingOptions o;
    private final GenerationListener listener;
    private final GenerationHandle handle;
    private final long maxActions;
    private final long bkspc;
    private final long eos;
    private final int V;
    private final int L;
    private List<DecodeRow> active;

    Decode(OrtSession session, OrtModel.Scratch sc, List<DecodeRow> rows, SamplingOptions o,
        GenerationListener listener, GenerationHandle handle) {
      this.session = session;
      this.sc = sc;
      this.all = rows;
      this.o = o;
      this.listener = listener;
      this.handle = handle;
      this.maxActions = o.maxActions() != 0 ? o.maxActions()
          : o.maxNewTokens() > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 4 * o.maxNewTokens();
      this.bkspc = model.info().bkspcTokenId();
      this.eos = model.info().eosTokenId();
      this.V = (int) model.info().vocabSize();
      this.L = (int) model.info().nLayer();
      this.active = new ArrayList<>(rows);
    }

    void run() {
      prefill();
      while (!active.isEmpty()) {
        if (listener != null) {
          cancelRequested();
        }
        if (active.isEmpty() || !step()) {
          break;
        }
        forward();
      }
    }

    /**
     * Prompts in groups, right-padded to the group's longest, causal; each row keeps its real entries.
     * Groups bound the (B, T, V) prefill logits to about PREFILL_LOGITS floats (one row at least).
     */
    private void prefill() {
      for (int start = 0; start < all.size(); ) {
        int end = start + 1;
        int T = all.get(start).length;
        while (end < all.size()
            && (long) (end + 1 - start) * Math.max(T, all.get(end).length) * V <= prefillLogits) {
          T = Math.max(T, all.get(end).length);
          end++;
        }
        prefill(all.subList(start, end), T);
        start = end;
      }
    }

    private void prefill(List<DecodeRow> group, int T) {
      int B = group.size();
      sc.prepare(model, B, T, 0);
      for (int b = 0; b < B; b++) {
        DecodeRow r = group.get(b);
        for (int t = 0; t < T; t++) {
          sc.ids.put(b * T + t, t < r.length ? r.tokens[t] : 0);
          sc.pos.put(b * T + t, t);
          for (int j = 0; j < T; j++) {
            sc.mask.put((b * T + t) * T + j, (byte) (j <= t ? 1 : 0));
          }
        }
      }
      model.run(session, sc, B, T, 0);
      for (int b = 0; b < B; b++) {
        DecodeRow r = group.get(b);
        for (int l = 0; l < L; l++) {
          r.readPresent(l, sc.presentKey[l], sc.presentValue[l], b, T, 0, r.length);
        }
        r.cached = r.length;
        r.logits = new float[V];
        sc.logits.get((b * T + r.length - 1) * V, r.logits);
      }
    }

    private void cancelRequested() {
      for (int index : handle.drain()) {
        DecodeRow r = all.get(index);
        if (r.finish == null) {
          r.finish = FinishReason.CANCELLED;
          active.remove(r);
          listener.onFinished(r.index, r.result(o.logprobs()));
        }
      }
    }

    /** One action per active row; returns whether any row goes on. */
    private boolean step() {
      List<DecodeRow> next = new ArrayList<>(active.size());
      for (DecodeRow r : active) {
        float[] x = r.logits.clone();
        int depth = r.length - r.promptLength; // generated tokens in the state acted on
        if (bkspc >= 0 && (!o.allowBackspace() || depth == 0)) {
          x[(int) bkspc] = Float.NEGATIVE_INFINITY; // never delete the prompt
        }
        if (o.noRetype()) {
          r.bans.mask(x, depth);
        }
        Sampling.Choice c;
        try {
          c = Sampling.choose(x, o, o.greedy() ? 0 : Sampling.counterUniform(r.seed, r.numActions));
        } catch (ModelOutputException e) {
          throw e.atRow(r.index);
        }
        long a = c.action();
        r.record(a, c.logprob());
        boolean overActions = r.numActions >= maxActions;
        if (a == bkspc) {
          if (depth == 0) { // Sampling never picks a masked action; this guards the cache against a bug
            throw new IllegalStateException("generate: row " + r.index + ": <bkspc> chosen with nothing generated");
          }
          long removed = r.tokens[--r.length];
          r.bans.deleted(depth - 1, removed);
          r.backspaces++;
          r.cached = r.length - 1; // drop the deleted token's entry and the new last one's ...
          if (listener != null) {
            listener.onBackspace(r.index, removed);
          }
          if (overActions) {
            finish(r, FinishReason.MAX_ACTIONS);
          } else {
            next.add(r); // ... which is re-fed below for the shortened state's logits
          }
          continue;
        }
        r.tokens[r.length++] = a;
        r.bans.appended(depth);
        r.cached = r.length - 1;
        if (listener != null) {
          listener.onToken(r.index, a);
        }
        FinishReason f = null;
        if (a == eos) {
          f = FinishReason.EOS;
        } else if (Arrays.stream(o.stopIds()).anyMatch(s -> s == a)) {
          f = FinishReason.STOP;
        } else if (r.length - r.promptLength >= o.maxNewTokens()) {
          f = FinishReason.MAX_NEW_TOKENS;
        } else if (overActions) {
          f = FinishReason.MAX_ACTIONS;
        } else if (r.length >= model.info().nPositions()) {
          f = FinishReason.LENGTH;
        }
        if (f != null) {
          finish(r, f);
        } else {
          next.add(r);
        }
      }
      active = next;
      return !active.isEmpty();
    }

    private void finish(DecodeRow r, FinishReason reason) {
      r.finish = reason;
      if (listener != null) {
        listener.onFinished(r.index, r.result(o.logprobs()));
      }
    }

    /** Feeds each active row's last token at position length-1 after its cached entries. */
    private void forward() {
      int B = active.size();
      int P = active.stream().mapToInt(r -> r.cached).max().orElseThrow();
      int S = P + 1;
      sc.prepare(model, B, 1, P);
      for (int b = 0; b < B; b++) {
        DecodeRow r = active.get(b);
        sc.ids.put(b, r.last());
        sc.pos.put(b, r.length - 1);
        for (int j = 0; j < S; j++) {
          sc.mask.put(b * S + j, (byte) (j < r.cached || j == P ? 1 : 0));
        }
        for (int l = 0; l < L; l++) {
          r.writePast(l, sc.pastKey[l], sc.pastValue[l], b, P);
        }
      }
      model.run(session, sc, B, 1, P);
      for (int b = 0; b < B; b++) {
        DecodeRow r = active.get(b);
        for (int l = 0; l < L; l++) {
          r.readPresent(l, sc.presentKey[l], sc.presentValue[l], b, S, P, 1);
        }
        r.cached++;
        sc.logits.get(b * V, r.logits);
      }
    }
  }
}
