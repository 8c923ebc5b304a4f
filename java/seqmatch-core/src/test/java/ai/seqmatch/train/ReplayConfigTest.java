/*
 * The Java front end rejects the replay settings SequenceMatch cannot train with, with the native parser's
 * one-line message (one validation, in native/src/train/train_config.cpp, for both front ends).
 */
package ai.seqmatch.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.seqmatch.InvalidInputException;
import org.junit.jupiter.api.Test;

class ReplayConfigTest {
  private static String error(String replay, int batchSize) {
    TrainConfig c = TrainConfig.parse("{\"data\": {\"train\": \"x.smtok\"}, \"objective\": {\"type\": "
        + "\"sequence_match\"}, \"replay\": " + replay + ", \"batch_size\": " + batchSize + "}", "c.json");
    return assertThrows(InvalidInputException.class, () -> Trainer.create(c).close()).getMessage();
  }

  @Test
  void modelRowsMustNotBeNegative() {
    assertEquals("config c.json: field 'replay.model_rows' must be >= 0 (got -1)", error("{\"model_rows\": -1}", 8));
  }

  @Test
  void rolloutsMustFillTheBuffer() {
    assertEquals("config c.json: field 'replay.rollouts' must be >= 1 with objective sequence_match and "
        + "replay.model_rows > 0 (got 0): nothing would fill the replay buffer. Hint: set replay.model_rows = 0 "
        + "to train without replay", error("{\"rollouts\": 0}", 8));
  }
}
