/*
 * CheckpointWeights: the llama-tiny-a fixture resharded here into two files (one F32, one BF16 written
 * by truncating each float's low 16 bits) behind a model.safetensors.index.json reads back tensor for
 * tensor (F32 exactly, BF16 as the truncated floats); a missing shard, a tensor absent from its shard
 * and a shard path leaving the directory are one-line errors naming the index.
 */
package ai.seqmatch.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Fixtures;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointWeightsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private SafeTensors source;
  private final Map<String, String> shardOf = new LinkedHashMap<>();

  @BeforeEach
  void reshard() throws IOException {
    source = SafeTensors.open(Fixtures.fixture("llama-tiny-a").resolve("model.safetensors"));
    List<String> names = new ArrayList<>(source.names());
    List<String> first = names.subList(0, names.size() / 2);
    List<String> second = names.subList(names.size() / 2, names.size());
    write(dir.resolve("model-00001-of-00002.safetensors"), first, false);
    write(dir.resolve("model-00002-of-00002.safetensors"), second, true);
    first.forEach(n -> shardOf.put(n, "model-00001-of-00002.safetensors"));
    second.forEach(n -> shardOf.put(n, "model-00002-of-00002.safetensors"));
    writeIndex(shardOf);
  }

  @Test
  void shardedF32AndBf16ReadBack() throws IOException {
    CheckpointWeights w = CheckpointWeights.open(dir);
    assertEquals(source.names(), w.names());
    for (String n : source.names()) {
      float[] want = source.floats(n);
      boolean bf16 = shardOf.get(n).startsWith("model-00002");
      if (bf16) {
        for (int i = 0; i < want.length; i++) {
          want[i] = Float.intBitsToFloat(Float.floatToRawIntBits(want[i]) & 0xFFFF0000);
        }
      }
      assertEquals(bf16 ? DType.BF16 : DType.F32, w.info(n).dtype());
      assertArrayEquals(want, w.floats(n), n);
    }
  }

  @Test
  void singleFileStillReads() throws IOException {
    CheckpointWeights w = CheckpointWeights.open(Fixtures.fixture("llama-tiny-a"));
    String n = source.names().iterator().next();
    assertArrayEquals(source.floats(n), w.floats(n));
  }

  @Test
  void badIndexesAreNamed() throws IOException {
    Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
    assertError("shard model-00002-of-00002.safetensors");
    Map<String, String> wrong = new LinkedHashMap<>(shardOf);
    String moved = source.names().iterator().next();
    wrong.replaceAll((k, v) -> "model-00001-of-00002.safetensors");
    writeIndex(wrong);
    assertError("is not in its shard");
    Map<String, String> escape = new LinkedHashMap<>();
    escape.put(moved, "../model-00001-of-00002.safetensors");
    writeIndex(escape);
    assertError("beside the index");
    Files.writeString(dir.resolve(CheckpointWeights.INDEX), "{\"weight_map\": {}}");
    assertError("non-empty \"weight_map\"");
    Files.delete(dir.resolve(CheckpointWeights.INDEX));
    assertError("missing model.safetensors");
  }

  private void assertError(String part) {
    CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointWeights.open(dir));
    assertTrue(e.getMessage().contains(part) && !e.getMessage().contains("\n"), e.getMessage());
  }

  private void writeIndex(Map<String, String> map) throws IOException {
    ObjectNode j = JSON.createObjectNode();
    j.putObject("metadata").put("total_size", 0);
    ObjectNode m = j.putObject("weight_map");
    map.forEach(m::put);
    Files.writeString(dir.resolve(CheckpointWeights.INDEX), JSON.writeValueAsString(j));
  }

  /** A safetensors file of {@code names} from the source, as F32 or as BF16 (low 16 bits dropped). */
  private void write(Path file, List<String> names, boolean bf16) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    for (String n : names) {
      float[] v = source.floats(n);
      ByteBuffer b = ByteBuffer.allocate(v.length * (bf16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : v) {
        if (bf16) {
          b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
        } else {
          b.putFloat(f);
        }
      }
      ObjectNode e = header.putObject(n);
      e.put("dtype", bf16 ? "BF16" : "F32");
      var shape = e.putArray("shape");
      for (long d : source.info(n).shape()) {
        shape.add(d);
      }
      e.putArray("data_offsets").add(data.size()).add(data.size() + b.capacity());
      data.writeBytes(b.array());
    }
    byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(h.length).put(h).put(data.toByteArray());
    Files.write(file, out.array());
  }
}
