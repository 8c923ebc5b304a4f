/*
 * RetypeBans against the rule spelled out by hand: a deleted token is masked at the depth it was deleted
 * to, sets deeper than an append are dropped, and the rule yields where it would mask everything.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-core -Dtest=RetypeBansTest
 */
package ai.seqmatch.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RetypeBansTest {
  private static final float NEG = Float.NEGATIVE_INFINITY;

  @Test
  void bansPerDepthAndClearsDeeperSetsOnAppend() {
    RetypeBans bans = new RetypeBans();
    // prompt, type 2 (depth 0 -> 1), type 3 (1 -> 2), delete 3 (back to 1), delete 2 (back to 0)
    bans.appended(0);
    bans.appended(1);
    bans.deleted(1, 3);
    bans.deleted(0, 2);
    float[] x = {0, 1, 2, 3, 4};
    assertEquals(1, bans.mask(x, 0));
    assertArrayEquals(new float[] {0, 1, NEG, 3, 4}, x);
    // type 4 at depth 0: the set at depth 1 (token 3, under prefix [2]) belonged to another prefix
    bans.appended(0);
    float[] y = {0, 1, 2, 3, 4};
    assertEquals(0, bans.mask(y, 1));
    assertArrayEquals(new float[] {0, 1, 2, 3, 4}, y);
    float[] z = {0, 1, 2, 3, 4};
    assertEquals(1, bans.mask(z, 0), "the set at the state itself stays");
  }

  @Test
  void yieldsWhereEveryAllowedActionIsBanned() {
    RetypeBans bans = new RetypeBans();
    bans.deleted(0, 1);
    bans.deleted(0, 2);
    float[] x = {NEG, 5, 6};
    assertEquals(0, bans.mask(x, 0));
    assertArrayEquals(new float[] {NEG, 5, 6}, x);
  }
}
