// Tests that the state dump agrees with the training loop it inspects.

import Testing

@testable import TrainingCore

@Test(arguments: [false, true])
func stateDumpMatchesTheRecordOfItsStep(_ batchNorm: Bool) {
  var config = smallConfig(loss: .dicefg, batchNorm: batchNorm, iterations: 5)
  config.track = [.cce, .dice]
  var recorded: [StepRecord] = []
  _ = Trainer(config: config).run { recorded.append($0) }
  let dump = Trainer.stateDump(config: config, atStep: 3)
  #expect(dump.step == 3)
  #expect(dump.losses.map(\.loss) == [.cce, .dice, .dicefg])
  #expect(dump.losses.prefix(2).map(\.value) == recorded[3].losses)
  #expect(dump.losses.prefix(2).map(\.gradNorm) == recorded[3].gradNorms)
  #expect(dump.inputs.shape == [2, 6, 6, 1] && dump.inputs.values.count == 72)
  #expect(dump.labels.shape == [2, 6, 6, 2] && dump.logits.values.count == 144)
  for lossDump in dump.losses {
    #expect(lossDump.gradients.map(\.name) == dump.parameters.map(\.name))
    #expect(lossDump.gradients.map(\.shape) == dump.parameters.map(\.shape))
    let squares = lossDump.gradients.flatMap(\.values).map { Double($0) * Double($0) }
    #expect(abs(Float(squares.reduce(0, +).squareRoot()) - lossDump.gradNorm) <= 1e-6)
  }
  // Step 0's parameters are the initial weights.
  let initial = Trainer.stateDump(config: config, atStep: 0)
  #expect(initial.parameters.first { $0.name == "output/bias" }?.values == [0, 0])
  #expect(initial.parameters != dump.parameters)
}
