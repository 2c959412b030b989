// Tests of reading the cluster's MaxArraySize and the refusal when --tasks exceeds it.
import Testing

@testable import Orchestrator

@Test func maxArraySizeIsReadFromScontrolOutput() {
  let config = """
    Configuration data as of 2026-12-01T10:00:00
    MailProg                = /bin/mail
    MaxArraySize            = 1001
    MaxJobCount             = 10000
    """
  #expect(maxArraySize(inConfig: config) == 1001)
  #expect(maxArraySize(inConfig: "MaxJobCount = 5") == nil)
}

@Test func tooManyTasksAreRefusedWithTheLimit() {
  #expect(arraySizeProblem(tasks: 1001, limit: 1001) == nil)
  #expect(arraySizeProblem(tasks: 5000, limit: nil) == nil)
  let problem = arraySizeProblem(tasks: 1002, limit: 1001)
  #expect(
    problem?.hasPrefix("--tasks 1002 is more than this cluster's MaxArraySize of 1001") == true)
}

@Test func dynamicScriptsRunTheWholeSweepByClaim() {
  var options = SlurmOptions(
    sweepPath: "/s/p.yaml", sweepName: "p", resultsRoot: "/r", tasks: 3, executable: "/bin/sweep",
    workingDirectory: "/w")
  #expect(slurmArrayScript(options).contains("--shard \"${SLURM_ARRAY_TASK_ID}/3\""))
  options.dynamic = true
  let script = slurmArrayScript(options)
  #expect(script.contains(" run /s/p.yaml --dynamic --results /r --jobs 1 --quiet"))
  #expect(!script.contains("--shard"))
  #expect(!script.contains("--retries"))
  options.retries = 2
  #expect(slurmArrayScript(options).contains(" --quiet --retries 2"))
}
