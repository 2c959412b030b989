// Tests of the parameter registry: parsing `key=value`, validation messages, the canonical
// config and its inverse.

import CanonicalJSON
import Testing
import TrainingCore

@testable import SweepSpec

@Suite struct ParametersTests {
  @Test func registryNamesInOrder() {
    #expect(
      Parameters.names == [
        "loss", "theta", "batch_norm", "bn_eval", "bn_momentum", "optimizer", "learning_rate",
        "beta1", "beta2",
        "adam_epsilon", "iterations", "batch_size", "image_size", "eval_images", "eval_every",
        "log_every", "n_conv", "filters", "track", "seed",
      ])
    #expect(Parameters.info.count == Parameters.names.count)
    #expect(Parameters.info.first { $0.name == "theta" }?.defaultValue == "0.5")
  }

  @Test func canonicalDefaultConfigIsPinned() {
    // Changing this text changes every cell id: bump only together with the golden manifests.
    #expect(
      Parameters.canonical(TrainingConfig()).canonicalText
        == #"{"adam_epsilon":1e-08,"batch_norm":false,"batch_size":2,"beta1":0.9,"beta2":0.999,"#
        + #""bn_eval":"moving","bn_momentum":0.99,"#
        + #""eval_every":250,"eval_images":100,"filters":4,"image_size":32,"iterations":10001,"#
        + #""learning_rate":0.001,"log_every":1,"loss":"cce","n_conv":2,"optimizer":"adam","#
        + #""seed":0,"theta":0.5,"track":["cce","dice","dice_square","dicefg","dicefg_square"]}"#)
  }

  @Test func assignmentParsesFlowValues() throws {
    let (key, value) = try Parameters.assignment("theta=[0.5, 0.95]")
    #expect(key == "theta")
    #expect(value.sequence?.count == 2)
    let (key2, value2) = try Parameters.assignment(" optimizer = sgd")
    #expect(key2 == "optimizer")
    #expect(value2.scalar?.text == "sgd")
  }

  @Test(arguments: ["theta", "=0.5", "theta=", "theta={a: 1}", "theta=[0.5"])
  func malformedAssignmentsAreErrors(text: String) {
    #expect(throws: SweepSpecError.self) { try Parameters.assignment(text) }
  }

  @Test func assignmentErrorsNameTheFlag() {
    do {
      _ = try Parameters.assignment("theta=[0.5", flag: "--set")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix("--set theta=[0.5: theta: "))
    }
  }

  @Test(arguments: [
    ("loss=dice", JSONValue.string("dice")),
    ("theta=0.05", .number(0.05)),
    ("batch_norm=true", .bool(true)),
    ("optimizer=sgd", .string("sgd")),
    ("learning_rate=1", .number(1)),
    ("adam_epsilon=1.0e-7", .number(1.0e-7)),
    ("iterations=200", .number(200)),
    ("n_conv=3", .number(3)),
    ("track=[dicefg, cce]", .array([.string("cce"), .string("dicefg")])),
    ("track=all", Parameters.canonical(TrainingConfig())["track"] ?? .null),
    ("seed=9007199254740992", .number(9_007_199_254_740_992)),
  ])
  func applySetsTheParameter(text: String, expected: JSONValue) throws {
    let (key, value) = try Parameters.assignment(text)
    var config = TrainingConfig()
    try Parameters.apply(key, value, to: &config)
    #expect(Parameters.canonical(config)[key] == expected)
  }

  @Test func applyWritesTheConfigFields() throws {
    var config = TrainingConfig()
    for text in ["loss=dicefg_square", "batch_norm=true", "optimizer=sgd", "n_conv=3", "filters=8"]
    {
      let (key, value) = try Parameters.assignment(text)
      try Parameters.apply(key, value, to: &config)
    }
    #expect(config.loss == .dicefgSquare)
    #expect(config.batchNorm)
    #expect(config.optimizer == .sgd)
    #expect(config.convLayers == 3)
    #expect(config.filters == 8)
  }

  @Test(arguments: [
    ("theta=1", "--set theta=1: theta must be in (0, 1), got 1"),
    ("theta=0", "--set theta=0: theta must be in (0, 1), got 0"),
    ("learning_rate=0", "--set learning_rate=0: learning_rate must be > 0, got 0"),
    ("learning_rate=.inf", "--set learning_rate=.inf: learning_rate must be > 0, got .inf"),
    ("beta1=1", "--set beta1=1: beta1 must be in [0, 1), got 1"),
    ("iterations=0", "--set iterations=0: iterations must be in 1...1000000000, got 0"),
    ("iterations=1.0", "--set iterations=1.0: iterations: expected an integer, got 1.0"),
    ("batch_size=2000", "--set batch_size=2000: batch_size must be in 1...1024, got 2000"),
    ("filters=257", "--set filters=257: filters must be in 1...256, got 257"),
    ("batch_norm=yes", "--set batch_norm=yes: batch_norm: expected true or false, got 'yes'"),
    ("theta=abc", "--set theta=abc: theta: expected a number, got 'abc'"),
    (
      "loss=dcie",
      "--set loss=dcie: loss: expected one of cce, dice, dice_square, dicefg, dicefg_square, "
        + "got 'dcie'; did you mean 'dice'?"
    ),
    ("track=[]", "--set track=[]: track: expected at least one loss"),
    ("track=[cce, cce]", "--set track=[cce, cce]: track lists 'cce' more than once"),
    ("track=cce", "--set track=cce: track: expected a list of losses or \"all\", got 'cce'"),
    ("seed=-1", "--set seed=-1: seed must be in 0...9007199254740992, got -1"),
    ("thetta=0.5", "--set thetta=0.5: unknown parameter 'thetta'; did you mean 'theta'?"),
  ])
  func applyRejectsBadValues(text: String, expected: String) throws {
    let (key, value) = try Parameters.assignment(text)
    var config = TrainingConfig()
    do {
      try Parameters.apply(key, value, to: &config)
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.description == expected)
    }
  }

  @Test func floatsMayBeWrittenAsIntegersButNotTheReverse() throws {
    var config = TrainingConfig()
    try Parameters.apply("learning_rate", try Parameters.assignment("x=1").value, to: &config)
    #expect(config.learningRate == 1)
    #expect(throws: SweepSpecError.self) {
      try Parameters.apply("iterations", try Parameters.assignment("x=2.5").value, to: &config)
    }
  }

  @Test(arguments: Loss.allCases)
  func canonicalRoundTrip(loss: Loss) throws {
    var config = TrainingConfig()
    config.loss = loss
    config.theta = 0.05
    config.batchNorm = true
    config.optimizer = .sgd
    config.learningRate = 3.0e-4
    config.iterations = 123
    config.track = [.dice, .dicefgSquare]
    config.seed = 1 << 53
    let json = Parameters.canonical(config)
    #expect(try Parameters.config(fromCanonical: json) == config)
    let reparsed = try JSONValue(parsing: json.prettyText)
    #expect(try Parameters.config(fromCanonical: reparsed) == config)
  }

  @Test func canonicalHasEveryParameter() {
    let keys = Parameters.canonical(TrainingConfig()).objectValue?.keys.sorted()
    #expect(keys == Parameters.names.sorted())
  }

  @Test func fromCanonicalRejectsMissingUnknownAndBadKeys() {
    guard case .object(var members) = Parameters.canonical(TrainingConfig()) else {
      Issue.record("not an object")
      return
    }
    var missing = members
    missing["theta"] = nil
    #expect(throws: SweepSpecError.self) { try Parameters.config(fromCanonical: .object(missing)) }
    do {
      _ = try Parameters.config(fromCanonical: .object(missing))
    } catch {
      #expect(error.description == "canonical config: missing parameter 'theta'")
    }
    members["filterz"] = .number(4)
    do {
      _ = try Parameters.config(fromCanonical: .object(members))
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "unknown parameter 'filterz'; did you mean 'filters'?")
    }
    members["filterz"] = nil
    members["iterations"] = .number(2.5)
    #expect(throws: SweepSpecError.self) { try Parameters.config(fromCanonical: .object(members)) }
    #expect(throws: SweepSpecError.self) { try Parameters.config(fromCanonical: .array([])) }
  }

  @Test func cellsTooLargeForMemoryAreRefused() throws {
    #expect(Parameters.memoryProblem(of: TrainingConfig()) == nil)
    #expect(Parameters.estimatedBytes(of: TrainingConfig()) < 100_000_000)
    let error = parseError("fixed: {batch_size: 1024, image_size: 1024, filters: 256}\n")
    #expect(
      error?.message.hasPrefix(
        "a cell with batch_size 1024, eval_images 100, image_size 1024, n_conv 2 and filters 256 "
          + "needs about ") == true, "\(String(describing: error))")
    #expect(
      error?.message.hasSuffix(
        "GiB for its buffers, more than the limit of 16 GiB; lower some of them") == true)
    var members = try #require(Parameters.canonical(TrainingConfig()).objectValue)
    members["image_size"] = .number(1024)
    members["batch_size"] = .number(1024)
    #expect(throws: SweepSpecError.self) { try Parameters.config(fromCanonical: .object(members)) }
  }
}
