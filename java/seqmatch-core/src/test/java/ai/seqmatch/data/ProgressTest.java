/* Progress: silent on small inputs, then one line per interval with share, rate and time left (fake clock). */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void reportsShareRateAndTimeLeftOncePerInterval() {
    long[] now = {0};
    List<String> lines = new ArrayList<>();
    Progress p = new Progress(200_000_000L, lines::add, () -> now[0]);
    now[0] = 1_000_000_000L;
    p.advance(10_000_000L); // 1 s in: too soon for a line
    assertEquals(List.of(), lines);
    now[0] = 5_000_000_000L;
    p.advance(40_000_000L); // 50 MB in 5 s = 10 MB/s; 150 MB left = 15 s
    assertEquals(List.of("prepare: 25% (50.0 of 200.0 MB), 10.0 MB/s, about 15 s left"), lines);
    now[0] = 6_000_000_000L;
    p.advance(10_000_000L); // 1 s after the last line: quiet
    assertEquals(1, lines.size());
  }
}
