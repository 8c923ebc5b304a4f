/*
 * The weights of a checkpoint directory as one name -> tensor map, whether they sit in one
 * model.safetensors or in shards listed by model.safetensors.index.json ("weight_map": name -> shard
 * file), as transformers writes models above its shard size. Every shard is opened (headers only) and
 * checked against the index up front, so a missing shard or tensor is reported before any work starts.
 * F32, F16 and BF16 tensors all read as float32 (SafeTensors). Tested by CheckpointWeightsTest.
 */
package ai.seqmatch.io;

import ai.seqmatch.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Tensors of a checkpoint, read on demand from the file that holds each. */
public final class CheckpointWeights {
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private final Path dir;
  private final Map<String, SafeTensors> byName; // tensor name -> the file holding it

  private CheckpointWeights(Path dir, Map<String, SafeTensors> byName) {
    this.dir = dir;
    this.byName = Collections.unmodifiableMap(byName);
  }

  /** Opens model.safetensors in {@code dir}, or the shards its model.safetensors.index.json names. */
  public static CheckpointWeights open(Path dir) {
    Path single = dir.resolve(SINGLE);
    Path index = dir.resolve(INDEX);
    try {
      if (Files.isRegularFile(single)) {
        SafeTensors st = SafeTensors.open(single);
        Map<String, SafeTensors> m = new LinkedHashMap<>();
        st.names().forEach(n -> m.put(n, st));
        return new CheckpointWeights(dir, m);
      }
      if (Files.isRegularFile(index)) {
        return sharded(dir, index);
      }
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + dir + ": cannot read weights (" + e.getMessage() + ")", e);
    }
    throw new CheckpointException("checkpoint " + dir + ": missing " + SINGLE + " (and no " + INDEX
        + "). Hint: pass a directory holding config.json and the safetensors weights");
  }

  private static CheckpointWeights sharded(Path dir, Path index) throws IOException {
    JsonNode j;
    try {
      j = new ObjectMapper().readTree(index.toFile());
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + index + ": not valid JSON", e);
    }
    JsonNode map = j == null ? null : j.path("weight_map");
    if (map == null || !map.isObject() || map.isEmpty()) {
      throw new CheckpointException("checkpoint " + index + ": needs a non-empty \"weight_map\" object "
          + "(tensor name -> shard file)");
    }
    Map<String, SafeTensors> shards = new LinkedHashMap<>();
    Map<String, SafeTensors> byName = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      String shard = e.getValue().asText("");
      Path file = dir.resolve(shard).normalize();
      if (!e.getValue().isTextual() || shard.isEmpty() || !file.startsWith(dir.normalize())
          || !file.getParent().equals(dir.normalize())) {
        throw new CheckpointException("checkpoint " + index + ": weight_map[\"" + e.getKey() + "\"] must name a "
            + "shard file beside the index (got " + e.getValue() + ")");
      }
      SafeTensors st = shards.get(shard);
      if (st == null) {
        if (!Files.isRegularFile(file)) {
          throw new CheckpointException("checkpoint " + index + ": shard " + shard + " (named for tensor '"
              + e.getKey() + "') is missing. Hint: download every model-*.safetensors file");
        }
        st = SafeTensors.open(file);
        shards.put(shard, st);
      }
      if (!st.names().contains(e.getKey())) {
        throw new CheckpointException("checkpoint " + index + ": tensor '" + e.getKey() + "' is not in its shard "
            + shard + ". Hint: the index does not match the shards");
      }
      byName.put(e.getKey(), st);
    }
    return new CheckpointWeights(dir, byName);
  }

  public Path dir() {
    return dir;
  }

  /** Every tensor name, in index (or header) order. */
  public Set<String> names() {
    return byName.keySet();
  }

  /** The file holding {@code name}, for error messages. */
  public Path file(String name) {
    return holder(name).file();
  }

  public TensorInfo info(String name) {
    return holder(name).info(name);
  }

  /** A floating-point tensor (F32, F16 or BF16) as float32, row-major. */
  public float[] floats(String name) {
    SafeTensors st = holder(name);
    try {
      return st.floats(name);
    } catch (IOException e) {
      throw new CheckpointException("checkpoint " + st.file() + ": cannot read tensor '" + name + "' ("
          + e.getMessage() + ")", e);
    }
  }

  private SafeTensors holder(String name) {
    SafeTensors st = byName.get(name);
    if (st == null) {
      throw new CheckpointException("checkpoint " + dir + ": no tensor '" + name + "'. Hint: config.json does "
          + "not describe these weights");
    }
    return st;
  }
}
