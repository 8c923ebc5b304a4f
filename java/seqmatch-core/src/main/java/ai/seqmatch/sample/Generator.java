/*
 * Backspace-aware batched sampling (DESIGN.md §3 "Generation") over the native BatchDecoder
 * (native/src/sample/decoder.h): actions over vocab ∪ {<bkspc>}, a <bkspc> pops the row's last token
 * and rolls its KV cache back, rows finish independently, the result is each row's final state.
 * Each generate call owns one native Generation, freed in a finally block (also when a listener
 * throws). The model cannot close while a call runs (CausalLM.withNativeHandle).
 * Tested by GeneratorTest and GeneratorLeakTest.
 */
package ai.seqmatch.sample;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.NativeErrors;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.nativ.SeqmatchNative.Generation;
import ai.seqmatch.nativ.SeqmatchNative.Model;
import ai.seqmatch.nativ.SeqmatchNative.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Generates continuations of prompts with a {@link CausalLM}; B = rows (prompts). Thread-safe. */
public final class Generator implements AutoCloseable {
  private final CausalLM model;
  private final Set<GenerationHandle> streaming = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** A generator over {@code model}; the model must stay open while it is used. */
  public Generator(CausalLM model) {
    this.model = model;
  }

  /** Generates one continuation per prompt (rows decoded together); results in prompt order. */
  public List<GenerationResult> generate(List<long[]> prompts, SamplingOptions options) {
    return generate(prompts, options, null);
  }

  /** One prompt; same as {@code generate(List.of(prompt), options).get(0)}. */
  public GenerationResult generate(long[] prompt, SamplingOptions options) {
    return generate(List.of(prompt), options, null).get(0);
  }

  /**
   * Like {@link #generate(List, SamplingOptions)}, reporting every action to {@code listener} as it
   * happens (null: no events, slightly faster). Rows the listener cancels finish with
   * {@link FinishReason#CANCELLED} and keep the tokens they had.
   *
   * @throws InvalidInputException for prompts the model cannot take (empty, ids outside the vocabulary,
   *     longer than its context) or row seeds that do not match the prompts
   */
  public List<GenerationResult> generate(
      List<long[]> prompts, SamplingOptions options, GenerationListener listener) {
    if (closed) {
      throw new IllegalStateException("generator is closed");
    }
    Batch batch = Batch.of(prompts, options);
    return model.withNativeHandle(m -> {
      Generation g = start(m, batch, options);
      try {
        return listener == null ? runToEnd(g, batch.rows, options) : stream(g, batch.rows, options, listener);
      } finally {
        SeqmatchNative.generation_free(g);
      }
    });
  }

  /** Cancels streaming generations in flight (their rows finish as CANCELLED); later calls fail. */
  @Override
  public void close() {
    closed = true;
    for (GenerationHandle h : streaming) {
      h.cancelAll();
    }
  }

  /** Prompts flattened for the native call, checked for what Java can tell without the model. */
  private record Batch(int rows, long[] ids, long[] lengths) {
    static Batch of(List<long[]> prompts, SamplingOptions options) {
      if (prompts == null || prompts.isEmpty()) {
        throw new InvalidInputException("generate: need at least one prompt (got 0)");
      }
      long[] lengths = new long[prompts.size()];
      long total = 0;
      for (int b = 0; b < lengths.length; b++) {
        long[] p = prompts.get(b);
        if (p == null) {
          throw new InvalidInputException("generate: prompt " + b + " is null");
        }
        lengths[b] = p.length;
        total += p.length;
      }
      if (total > Integer.MAX_VALUE - 8) {
        throw new InvalidInputException("generate: prompts too large (got " + total + " ids in all)");
      }
      long[] seeds = options.rowSeeds();
      if (seeds != null && seeds.length != lengths.length) {
        throw new InvalidInputException("generate: row_seeds has " + seeds.length + " entries for "
            + lengths.length + " prompts (expected one seed per prompt)");
      }
      long[] ids = new long[(int) total];
      int offset = 0;
      for (long[] p : prompts) {
        System.arraycopy(p, 0, ids, offset, p.length);
        offset += p.length;
      }
      return new Batch(lengths.length, ids, lengths);
    }
  }

  private static Generation start(Model m, Batch batch, SamplingOptions o) {
    long[] stop = o.stopIds();
    long[] seeds = o.rowSeeds();
    try (SamplingParams p = new SamplingParams()) {
      p.max_new_tokens(o.maxNewTokens()).max_actions(o.maxActions()).temperature(o.temperature())
          .top_k(o.topK()).top_p(o.topP()).greedy(o.greedy()).allow_backspace(o.allowBackspace())
          .no_retype(o.noRetype()).seed(o.seed()).logprobs(o.logprobs());
      return NativeErrors.call(() -> SeqmatchNative.generation_start(
          m, batch.ids(), batch.lengths(), batch.rows(), stop, stop.length, seeds, p));
    }
  }

  private static List<GenerationResult> runToEnd(Generation g, int rows, SamplingOptions o) {
    NativeErrors.run(() -> SeqmatchNative.generation_run(g));
    List<GenerationResult> out = new ArrayList<>(rows);
    for (int row = 0; row < rows; row++) {
      out.add(read(g, row, o.logprobs()));
    }
    return out;
  }

  private List<GenerationResult> stream(Generation g, int rows, SamplingOptions o, GenerationListener listener) {
    GenerationHandle handle = new GenerationHandle(rows);
    GenerationResult[] results = new GenerationResult[rows];
    streaming.add(handle);
    try {
      if (closed) {
        handle.cancelAll(); // close() ran between our check and registering: honour it
      }
      listener.onStart(handle);
      long[] event = new long[4];
      while (true) {
        for (int row : handle.drain()) {
          if (results[row] == null) {
            NativeErrors.run(() -> SeqmatchNative.generation_cancel(g, row));
            finish(g, row, o, results, listener);
          }
        }
        long n = NativeErrors.callLong(() -> SeqmatchNative.generation_step(g));
        if (n == 0) {
          break; // every row has finished
        }
        for (long i = 0; i < n; i++) {
          long index = i;
          NativeErrors.run(() -> SeqmatchNative.generation_event(g, index, event));
          int row = (int) event[0];
          if (event[2] != 0) {
            listener.onBackspace(row, event[3]);
          } else {
            listener.onToken(row, event[3]);
          }
          // One event per row per step, so a row that finished did so with this event.
          if (!NativeErrors.call(() -> SeqmatchNative.generation_finish_reason(g, row)).isEmpty()) {
            finish(g, row, o, results, listener);
          }
        }
      }
      return Arrays.asList(results);
    } finally {
      streaming.remove(handle);
    }
  }

  private static void finish(
      Generation g, int row, SamplingOptions o, GenerationResult[] results, GenerationListener listener) {
    results[row] = read(g, row, o.logprobs());
    listener.onFinished(row, results[row]);
  }

  private static GenerationResult read(Generation g, int row, boolean logprobs) {
    return NativeErrors.call(() -> {
      long[] tokens = new long[Math.toIntExact(SeqmatchNative.generation_tokens_size(g, row))];
      long[] actions = new long[Math.toIntExact(SeqmatchNative.generation_actions_size(g, row))];
      SeqmatchNative.generation_tokens(g, row, tokens);
      float[] lp = logprobs ? new float[actions.length] : null;
      if (actions.length > 0) {
        SeqmatchNative.generation_actions(g, row, actions);
        if (lp != null) {
          SeqmatchNative.generation_logprobs(g, row, lp);
        }
      }
      return new GenerationResult(tokens, Math.toIntExact(SeqmatchNative.generation_prompt_length(g, row)),
          actions, lp, FinishReason.fromWire(SeqmatchNative.generation_finish_reason(g, row)),
          Math.toIntExact(SeqmatchNative.generation_backspaces(g, row)));
    });
  }
}
