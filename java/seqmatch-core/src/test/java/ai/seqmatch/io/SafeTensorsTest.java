/* The pure-Java safetensors reader: the HF fixture, dtype decoding, and every header check. */
package ai.seqmatch.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path tmp;

  /** Writes a safetensors file with the given header JSON and data bytes. */
  private Path write(String name, String header, byte[] data) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h).put(data);
    return Files.write(tmp.resolve(name), buf.array());
  }

  @Test
  void readsHfFixture() throws IOException {
    SafeTensors st = SafeTensors.open(Fixtures.hfGpt2Tiny().resolve("expected.safetensors"));
    assertEquals(List.of("greedy_ids", "input_ids", "prompt_ids", "logits"), List.copyOf(st.names()));
    assertArrayEquals(new long[] {3, 32, 300}, st.info("logits").shape());
    assertEquals(3 * 32 * 300, st.floats("logits").length);
    assertEquals(2 * 20, st.longs("greedy_ids").length);
    SafeTensors weights = SafeTensors.open(Fixtures.hfGpt2Tiny().resolve("model.safetensors"));
    assertTrue(weights.names().stream().anyMatch(n -> n.endsWith("wte.weight")), weights.names().toString());
  }

  @Test
  void decodesHalfAndIntTypes() throws IOException {
    ByteBuffer data = ByteBuffer.allocate(4 + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
    data.putShort((short) 0x3c00).putShort((short) 0xc000); // F16 1.0, -2.0
    data.putShort((short) 0x3f80).putShort((short) 0x4040); // BF16 1.0, 3.0
    data.putInt(-7).putInt(9); // I32
    Path f = write("types.safetensors", "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
        + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        + "\"__metadata__\":{\"format\":\"pt\"}}", data.array());
    SafeTensors st = SafeTensors.open(f);
    assertArrayEquals(new float[] {1f, -2f}, st.floats("h"));
    assertArrayEquals(new float[] {1f, 3f}, st.floats("b"));
    assertArrayEquals(new long[] {-7, 9}, st.longs("i"));
    assertEquals("pt", st.metadata().get("format"));
    assertThrows(CheckpointException.class, () -> st.longs("h"));
    assertEquals(0.5f, HalfFloats.f16ToFloat((short) 0x3800));
    assertEquals(0x1p-24f, HalfFloats.f16ToFloat((short) 0x0001));
    assertTrue(Float.isInfinite(HalfFloats.f16ToFloat((short) 0x7c00)));
  }

  @Test
  void rejectsBadFilesNamingFileAndTensor() throws IOException {
    Path tiny = Files.write(tmp.resolve("tiny.safetensors"), new byte[3]);
    CheckpointException e = assertThrows(CheckpointException.class, () -> SafeTensors.open(tiny));
    assertTrue(e.getMessage().contains(tiny.toString()), e.getMessage());

    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    Path hugeHeader = Files.write(tmp.resolve("huge.safetensors"), huge.array());
    assertThrows(CheckpointException.class, () -> SafeTensors.open(hugeHeader)); // before allocating 1 TB

    Path oob = write("oob.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
    e = assertThrows(CheckpointException.class, () -> SafeTensors.open(oob));
    assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("truncated"), e.getMessage());

    Path mismatch = write("shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);
    assertThrows(CheckpointException.class, () -> SafeTensors.open(mismatch));

    Path dtype = write("dtype.safetensors", "{\"w\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
    assertThrows(CheckpointException.class, () -> SafeTensors.open(dtype));

    Path json = write("json.safetensors", "{not json", new byte[0]);
    assertThrows(CheckpointException.class, () -> SafeTensors.open(json));

    SafeTensors ok = SafeTensors.open(Fixtures.hfGpt2Tiny().resolve("expected.safetensors"));
    e = assertThrows(CheckpointException.class, () -> ok.floats("nope"));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
  }
}
