/*
 * Fuzz target: a GenerateRequest as it arrives off the wire (protobuf bytes) through RequestValidator.
 * Allowed outcomes: the bytes are not a GenerateRequest (InvalidProtocolBufferException, which the
 * server turns into INVALID_ARGUMENT), INVALID_ARGUMENT with a one-line description, or a Prepared request
 * that the scheduler can run without failing: prompt ids inside the vocabulary and within the length
 * limit, max_new_tokens in range, top_p in (0, 1], and a temperature that keeps logits / T finite in the
 * float32 the engines compute in (issue 14: a T of 1e-39 passed and turned every probability into NaN).
 */
package ai.seqmatch.grpc;

import ai.seqmatch.grpc.v1.GenerateRequest;
import ai.seqmatch.serving.PreparedRequest;
import ai.seqmatch.serving.RequestValidator;
import ai.seqmatch.serving.ServerLimits;
import ai.seqmatch.serving.engine.EngineInfo;
import ai.seqmatch.tokenize.ByteTokenizer;
import ai.seqmatch.tokenize.Tokenizer;
import ai.seqmatch.tokenize.Tokenizers;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class RequestValidatorFuzzTest {
  private static final Tokenizer TOKENIZER = Tokenizers.withSeqMatchSpecials(new ByteTokenizer());
  private static final EngineInfo INFO = new EngineInfo("fuzz", TOKENIZER.vocabSize(), 64, 2, 2, 8, -1,
      TOKENIZER.specials().eos(), TOKENIZER.specials().bkspc());
  private static final ServerLimits LIMITS = ServerLimits.defaults();
  private static final RequestValidator VALIDATOR = new RequestValidator(INFO, TOKENIZER, LIMITS);

  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void prepare(byte[] wire) {
    GenerateRequest r;
    try {
      r = GenerateRequest.parseFrom(wire);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    PreparedRequest p;
    try {
      p = ProtoRequests.prepare(VALIDATOR, r);
    } catch (StatusRuntimeException e) {
      String d = e.getStatus().getDescription();
      if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT || d == null || d.contains("\n")) {
        throw new AssertionError("expected INVALID_ARGUMENT with a one-line description, got " + e.getStatus(), e);
      }
      return;
    }
    check(p.prompt().length >= 1 && p.prompt().length <= Math.min(LIMITS.maxPromptTokens(), INFO.nPositions() - 1),
        "prompt length " + p.prompt().length);
    for (long id : p.prompt()) {
      check(id >= 0 && id < INFO.vocabSize(), "prompt id " + id);
    }
    check(p.params().maxNewTokens() >= 1 && p.params().maxNewTokens() <= LIMITS.maxNewTokensLimit(),
        "max_new_tokens " + p.params().maxNewTokens());
    check(p.params().topP() > 0 && p.params().topP() <= 1, "top_p " + p.params().topP());
    if (!p.params().greedy()) {
      double t = p.params().temperature();
      // The engines divide float32 logits (|logit| up to ~1e4 in practice) by T.
      check(t > 0 && (float) t > 0 && Float.isFinite((float) t) && Float.isFinite((float) (1e4 / t)),
          "temperature " + t);
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("RequestValidator accepted a request the scheduler cannot run: " + what);
    }
  }
}
