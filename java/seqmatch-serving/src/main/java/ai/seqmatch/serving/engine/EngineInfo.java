/* What a StepEngine serves: the model's shape and special tokens (-1 = none). */
package ai.seqmatch.serving.engine;

/**
 * The served model.
 *
 * @param engine "onnxruntime" or "native-recompute"
 */
public record EngineInfo(String engine, long vocabSize, long nPositions, long nLayer, long nHead, long nEmbd,
    long bosTokenId, long eosTokenId, long bkspcTokenId) {
  public boolean hasBackspace() {
    return bkspcTokenId >= 0;
  }
}
