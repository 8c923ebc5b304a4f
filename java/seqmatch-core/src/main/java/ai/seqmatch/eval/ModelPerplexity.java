/*
 * Perplexity of reference text under a model, from Gpt2Model.forward logits. Each document is scored after a
 * start token (the model's BOS, else its EOS: the boundary a document follows in training), in windows of
 * n_positions tokens that overlap by one, so every text token is predicted exactly once, with up to
 * n_positions - 1 tokens of context. The NLL of token y is -log softmax(ℓ)[y] over all actions EXCEPT
 * <bkspc>: the probability of y given that the policy appends a token, which makes MLE and SequenceMatch
 * models comparable. Tested by ModelPerplexityTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.ModelConfig;
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
  public static Result evaluate(Gpt2Model model, List<long[]> documents, long maxTokens) {
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
