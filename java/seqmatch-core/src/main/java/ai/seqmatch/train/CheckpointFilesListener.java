/*
 * Copies files a checkpoint needs but the native trainer does not write, e.g. the Hugging Face
 * tokenizer.json that config.json's "seqmatch.tokenizer" spec names, into every checkpoint and into
 * <out_dir>/final, so each of them loads on its own (`seqmatch generate --prompt`).
 */
package ai.seqmatch.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Copies {@code name -> source} pairs into each checkpoint directory. */
public final class CheckpointFilesListener implements TrainingListener {
  private final Map<String, Path> files;

  /** @param files file name inside the checkpoint (may contain '/') mapped to the file to copy */
  public CheckpointFilesListener(Map<String, Path> files) {
    this.files = new LinkedHashMap<>(files);
  }

  @Override
  public void onCheckpoint(long step, Path dir) {
    copyInto(dir);
  }

  @Override
  public void onFinish(FinishResult result) {
    copyInto(result.finalModel());
  }

  private void copyInto(Path dir) {
    for (Map.Entry<String, Path> f : files.entrySet()) {
      Path target = dir.resolve(f.getKey());
      try {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.copy(f.getValue(), tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("checkpoint " + dir + ": cannot copy " + f.getValue() + " into it", e);
      }
    }
  }
}
