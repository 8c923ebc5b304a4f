/* The exact position of a DataLoader, small enough to store in a training checkpoint as JSON. */
package ai.seqmatch.data;

import ai.seqmatch.InvalidInputException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Where a {@link DataLoader} stands.
 *
 * @param seed shuffle seed (each epoch's order is derived from it and the epoch number)
 * @param epoch passes completed over the data
 * @param index position in this epoch's order of the next example to yield
 * @param size number of examples, checked on restore so a state is not applied to other data
 */
public record LoaderState(long seed, int epoch, int index, int size) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** E.g. {@code {"seed":0,"epoch":1,"index":32,"size":100}}. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("loader state: cannot write JSON", e);
    }
  }

  /** Parses {@link #toJson()}'s output. */
  public static LoaderState fromJson(String json) {
    try {
      return JSON.readValue(json, LoaderState.class);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException("loader state: malformed JSON (got " + json + "): "
          + e.getOriginalMessage() + ". Hint: pass the string LoaderState.toJson() wrote", e);
    }
  }
}
