/*
 * ExperimentReport.writeAtomically under concurrent writers of one file, as shards started together write
 * the same run configs and markers: every write succeeds, the file always holds one writer's whole text,
 * and no temp file is left. (With one shared "<file>.tmp" a writer could move away another's temp file
 * and fail: DyckExperimentTest.processesStartedTogetherShareOneDataDirectory failed that way in CI.)
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -am -Dtest=AtomicWriteTest
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {
  @TempDir Path tmp;

  @Test
  void concurrentWritersOfOneFileAllSucceedAndLeaveOneWholeText() throws Exception {
    Path file = tmp.resolve("runs/a/train_config.json");
    int writers = 6, writes = 150;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int w = 0; w < writers; w++) {
        String text = ("writer " + w + "\n").repeat(200); // long enough that writes overlap
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < writes; i++) {
            ExperimentReport.writeAtomically(file, text);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS); // rethrows a writer's "cannot write"
      }
    } finally {
      pool.shutdownNow();
    }
    String got = Files.readString(file);
    assertTrue(got.matches("(writer \\d\n){200}") && got.equals(got.substring(0, 9).repeat(200)),
        "one writer's whole text, got " + got.length() + " chars");
    try (var files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "temp files left");
    }
  }
}
