/* How native error messages map to exception kinds; needs no native library. */
package ai.seqmatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class NativeErrorsTest {
  @Test
  void mapsByPrefixAndKeepsOneLineAndCause() {
    RuntimeException ckpt = new RuntimeException("checkpoint /x: missing tensor 'h.0.attn.c_attn.weight'");
    SeqMatchException e = NativeErrors.wrap(ckpt);
    assertInstanceOf(CheckpointException.class, e);
    assertEquals(ckpt.getMessage(), e.getMessage());
    assertSame(ckpt, e.getCause());

    assertInstanceOf(InvalidInputException.class, NativeErrors.wrap(new RuntimeException("invalid ids: ...")));
    assertInstanceOf(InvalidInputException.class,
        NativeErrors.wrap(new RuntimeException("sampling: top_p must be in (0, 1] (got 1.5)")));
    assertInstanceOf(InvalidInputException.class,
        NativeErrors.wrap(new RuntimeException("generate: prompt 0 is empty. Hint: start it with a BOS token")));
    assertInstanceOf(NativeException.class, NativeErrors.wrap(new RuntimeException("generation: null handle")));
    assertInstanceOf(NativeException.class, NativeErrors.wrap(new RuntimeException("CUDA out of memory")));
    assertEquals("first", NativeErrors.wrap(new RuntimeException("first\nException raised from ...")).getMessage());
  }

  @Test
  void leavesNonNativeExceptionsAlone() {
    IllegalStateException closed = new IllegalStateException("model is closed");
    assertSame(closed, NativeErrors.wrapIfNative(closed));
    CheckpointException already = new CheckpointException("checkpoint x");
    assertSame(already, NativeErrors.wrapIfNative(already));
  }
}
