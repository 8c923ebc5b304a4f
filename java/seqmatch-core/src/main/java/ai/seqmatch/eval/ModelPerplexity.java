/*
 * Perplexity of reference text under a model, from CausalLM.forward logits. The NLL of token y is
 * -log softmax(ℓ)[y] over all actions EXCEPT <bkspc>: the probability of y given that the policy appends a
 * token, which makes MLE, BC, SequenceMatch and EMO models comparable ("token-only" NLL).
 * - evaluate: raw documents, each scored after a start token (the model's BOS, else its EOS: the boundary a
 *   document follows in training), in windows of n_positions tokens that overlap by one, so every text
 *   token is predicted exactly once, with up to n_positions - 1 tokens of context.
 * - evaluateExamples: prepared (.smtok) examples, exactly as the native trainer's validation pass
 *   (Trainer::evaluate, metrics.jsonl "val_loss"): each example is cut into one trajectory per document at
 *   <eos> (data::split_documents), and every token after a trajectory's prompt is predicted from all the
 *   tokens before it in that trajectory. Written independently of the native code, so the equality of the
 *   two numbers (ModelPerplexityTest) checks both.
 * Tested by ModelPerplexityTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.data.Example;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Reference-text NLL and perplexity; V = vocab_size, T = window length. */
public final class ModelPerplexity {
  private ModelPerplexity() {}

  /**
   * Result of an NLL pass.
   *
   * @param nllSum total negative log-likelihood in nats
   * @param tokens tokens predicted
   */
  public record Result(double nllSum, long tokens) {
    public double meanNll() {
      return tokens == 0 ? Double.NaN : nllSum / tokens;
    }

    public double perplexity() {
      return TextMetrics.perplexity(nllSum, tokens);
    }
  }

  /**
   * Scores {@code documents} (token ids, no start token) until {@code maxTokens} tokens have been predicted.
   *
   * @throws InvalidInputException if the model has neither BOS nor EOS, or an id is outside its vocabulary
   */
  public static Result evaluate(CausalLM model, List<long[]> documents, long maxTokens) {
    ModelConfig c = model.config();
    long start = c.bosTokenId() != ModelConfig.NO_TOKEN ? c.bosTokenId() : c.eosTokenId();
    if (start == ModelConfig.NO_TOKEN) {
      throw new InvalidInputException("perplexity: the model has no BOS or EOS token to start documents from");
    }
    int window = (int) Math.min(c.nPositions(), 1024);
    if (window < 2) {
      throw new InvalidInputException("perplexity: n_positions must be >= 2 (got " + c.nPositions() + ")");
    }
    int vocab = (int) c.vocabSize();
    long bkspc = c.bkspcTokenId();
    double nll = 0;
    long tokens = 0;
    for (long[] doc : documents) {
      long[] ids = new long[doc.length + 1];
      ids[0] = start;
      System.arraycopy(doc, 0, ids, 1, doc.length);
      for (int s = 0; s + 1 < ids.length && tokens < maxTokens; s += window - 1) {
        int end = (int) Math.min(Math.min(ids.length, (long) s + window), s + 1 + (maxTokens - tokens));
        long[] chunk = Arrays.copyOfRange(ids, s, end);
        int T = chunk.length;
        float[] logits = model.forward(chunk, 1, T); // (1, T, V)
        for (int t = 0; t + 1 < T; t++) {
          nll += nll(logits, t * vocab, vocab, bkspc, chunk[t + 1]);
          tokens++;
        }
      }
    }
    return new Result(nll, tokens);
  }

  /**
   * The native trainer's validation NLL (metrics.jsonl "val_loss") on prepared examples: the first
   * {@code maxTrajectories} trajectories of {@link #documents}, every token after each one's prompt predicted
   * with the whole trajectory before it as context (one forward per trajectory).
   *
   * @throws InvalidInputException if a trajectory is longer than n_positions, an id is outside the vocabulary,
   *     or a target is &lt;bkspc&gt; (validation data is plain text)
   */
  public static Result evaluateExamples(CausalLM model, List<Example> examples, long maxTrajectories) {
    ModelConfig c = model.config();
    int vocab = (int) c.vocabSize();
    long bkspc = c.bkspcTokenId();
    double nll = 0;
    long tokens = 0;
    List<Example> docs = documents(examples, c);
    for (int i = 0; i < docs.size() && i < maxTrajectories; i++) {
      long[] ids = docs.get(i).tokens();
      int prompt = docs.get(i).prompt().length;
      if (ids.length > c.nPositions()) {
        throw new InvalidInputException("perplexity: trajectory " + i + " has " + ids.length
            + " tokens but the model's context is " + c.nPositions());
      }
      for (int t = prompt; t < ids.length; t++) {
        if (ids[t] == bkspc) {
          throw new InvalidInputException("perplexity: trajectory " + i + " contains <bkspc> (id " + bkspc
              + "): validation data must be plain text");
        }
      }
      float[] logits = model.forward(ids, 1, ids.length); // (1, T, V)
      for (int t = prompt - 1; t + 1 < ids.length; t++) {
        nll += nll(logits, t * vocab, vocab, bkspc, ids[t + 1]);
        tokens++;
      }
    }
    return new Result(nll, tokens);
  }

  /**
   * One example per document, as the native trainer trains and validates (native/src/data/dataset.h,
   * split_documents): each example is cut after every EOS in its completion (an EOS in the prompt is context);
   * each later piece starts from BOS, else EOS, as its one-token prompt; a piece with nothing to predict is
   * dropped, an example without EOS in its completion is kept as it is.
   */
  static List<Example> documents(List<Example> examples, ModelConfig c) {
    long eos = c.eosTokenId();
    if (eos == ModelConfig.NO_TOKEN) {
      return examples;
    }
    long[] start = {c.bosTokenId() != ModelConfig.NO_TOKEN ? c.bosTokenId() : eos};
    List<Example> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      long[] prompt = e.prompt();
      long[] completion = e.completion();
      int from = 0;
      for (int t = 0; t < completion.length; t++) {
        if (completion[t] == eos) {
          out.add(new Example(prompt, Arrays.copyOfRange(completion, from, t + 1)));
          prompt = start;
          from = t + 1;
        }
      }
      if (from == 0 || from < completion.length) {
        out.add(new Example(prompt, Arrays.copyOfRange(completion, from, completion.length)));
      }
    }
    return out;
  }

  /** -log softmax(logits[off : off + V] without bkspc)[y], with max-subtraction. */
  static double nll(float[] logits, int off, int vocab, long bkspc, long y) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      if (v != bkspc) {
        max = Math.max(max, logits[off + v]);
      }
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      if (v != bkspc) {
        sum += Math.exp(logits[off + v] - max);
      }
    }
    return max + Math.log(sum) - logits[off + (int) y];
  }
}
