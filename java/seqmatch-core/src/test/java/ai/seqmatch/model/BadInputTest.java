/*
 * Bad checkpoints and bad arrays fail with the right SeqMatchException and a one-line message;
 * array problems are caught in Java, before native code could read past an array.
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Device;
import ai.seqmatch.Fixtures;
import ai.seqmatch.InvalidInputException;
import ai.seqmatch.SeqMatchException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadInputTest {
  @TempDir Path tmp;

  private static void assertOneLine(SeqMatchException e) {
    System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
    assertFalse(e.getMessage().isBlank());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void missingDirectory() {
    Path missing = tmp.resolve("no-such-checkpoint");
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> CausalLM.load(missing, Device.cpu()));
    assertOneLine(e);
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void missingWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("config-only"));
    Files.copy(Fixtures.hfGpt2Tiny().resolve("config.json"), dir.resolve("config.json"));
    assertOneLine(assertThrows(CheckpointException.class, () -> CausalLM.load(dir, Device.cpu())));
  }

  @Test
  void truncatedWeights() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("truncated"));
    Files.copy(Fixtures.hfGpt2Tiny().resolve("config.json"), dir.resolve("config.json"));
    Path weights = Files.copy(Fixtures.hfGpt2Tiny().resolve("model.safetensors"), dir.resolve("model.safetensors"));
    try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    assertOneLine(assertThrows(CheckpointException.class, () -> CausalLM.load(dir, Device.cpu())));
  }

  @Test
  void wrongArraysAreRejectedInJava() {
    try (CausalLM model = CausalLM.create(Fixtures.tinyConfig(), 1, Device.cpu())) {
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.forward(new long[5], 2, 3)));
      assertOneLine(assertThrows(InvalidInputException.class,
          () -> model.forward(new long[6], new long[5], null, 2, 3)));
      assertOneLine(assertThrows(InvalidInputException.class,
          () -> model.forward(new long[6], null, new boolean[17], 2, 3)));
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.forward(new long[] {0, 32}, 1, 2)));
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.forward(new long[] {-1}, 1, 1)));
      assertOneLine(assertThrows(InvalidInputException.class,
          () -> model.forward(new long[] {0}, new long[] {16}, null, 1, 1)));
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.forward(new long[17], 1, 17)));
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.forward(new long[0], 0, 1)));
      try (KvCache cache = model.newCache(2, 3)) {
        assertOneLine(assertThrows(InvalidInputException.class,
            () -> model.forwardCached(cache, new long[1], new long[1], null, 1, 1)));
        assertOneLine(assertThrows(InvalidInputException.class,
            () -> model.forwardCached(cache, new long[8], new long[8], null, 2, 4)));
        assertOneLine(assertThrows(InvalidInputException.class,
            () -> model.forwardCached(cache, new long[2], new long[2], new long[] {1, 2}, 2, 1)));
        assertOneLine(assertThrows(InvalidInputException.class, () -> cache.truncate(0, 1)));
      }
      assertOneLine(assertThrows(InvalidInputException.class, () -> model.newCache(1, 17)));
    }
  }
}
