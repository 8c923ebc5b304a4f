// `--nproc N`: starts N local processes of one command as the ranks of a data-parallel job, with
// torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1,
// MASTER_PORT = a free port unless set), and supervises them: when a rank dies (a signal, a
// non-zero exit) the launcher names it, stops the others (SIGTERM, then SIGKILL after 10 s) and
// fails with its code; SIGINT/SIGTERM to the launcher are passed on to every rank. Each rank gets
// OMP_NUM_THREADS = cores / N unless set, so N processes do not oversubscribe the cores (as
// torchrun does). Multi-node jobs use torchrun/srun instead (process_group.h). Test: ctest -R test_distributed
#pragma once

#include <string>
#include <vector>

namespace seqmatch {
namespace train {

// argv[0] is the program to run (a path). Returns the job's exit code: 0 when every rank exits 0.
// `who` prefixes the launcher's own lines on stderr.
int launch_local(const std::vector<std::string>& argv, int nproc, const std::string& who);

}  // namespace train
}  // namespace seqmatch
