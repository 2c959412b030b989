// swift-tools-version:6.0
// SegSweep: declarative, bit-reproducible sweeps of the Dice vs cross-entropy segmentation experiment.
import PackageDescription

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

// The training core's kernels are compiled three times: portably (x86-64 baseline) inside
// TrainingCore, for 256-bit vectors in TrainingCoreVector and for 512-bit vectors in
// TrainingCoreVector512, chosen at run time by what the CPU supports (docs/CORE.md). All write
// the same bits. `make build NATIVE=1` sets
// SEGSWEEP_VECTOR_CPU to the host's CPU name to go further on that machine.
#if arch(x86_64)
  let vectorCPU = ProcessInfo.processInfo.environment["SEGSWEEP_VECTOR_CPU"] ?? "haswell"
  let vectorFlags = ["-target-cpu", vectorCPU]
  // The 512-bit variant (x86-64-v4: AVX-512 F, BW, CD, DQ, VL), for Intel Xeons since Skylake
  // and AMD since Zen 4.
  let vector512Flags = ["-target-cpu", "skylake-avx512"]
#else
  let vectorFlags: [String] = []
  let vector512Flags: [String] = []
#endif

let package = Package(
  name: "SegSweep",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "sweep", targets: ["sweep"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibYAML",
      pkgConfig: "yaml-0.1",
      providers: [.apt(["libyaml-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .target(name: "CanonicalJSON"),
    .target(name: "CPUFeatures"),
    .target(
      name: "TrainingCoreVector",
      swiftSettings: [
        .unsafeFlags(vectorFlags),
        .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
      ]
    ),
    .target(
      name: "TrainingCoreVector512",
      swiftSettings: [
        .unsafeFlags(vector512Flags),
        .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
        // 32 registers: the wide conv rows keep 32 positions' sums in them (ConvWide.swift).
        .define("THIRTY_TWO_VECTOR_REGISTERS"),
      ]
    ),
    .target(
      name: "TrainingCore",
      dependencies: ["TrainingCoreVector", "TrainingCoreVector512", "CPUFeatures"],
      swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
    ),
    .target(
      name: "SweepSpec",
      dependencies: [
        "CLibYAML", "CanonicalJSON", "TrainingCore",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "Artifacts",
      dependencies: [
        "CZlib", "CanonicalJSON", "TrainingCore", "SweepSpec",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "Orchestrator",
      dependencies: ["TrainingCore", "SweepSpec", "Artifacts", "CanonicalJSON"]
    ),
    .target(
      name: "Report",
      dependencies: ["Artifacts", "SweepSpec", "CanonicalJSON", "TrainingCore"]
    ),
    .executableTarget(
      name: "sweep",
      dependencies: [
        "TrainingCore", "SweepSpec", "Artifacts", "Orchestrator", "Report", "CanonicalJSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "CanonicalJSONTests", dependencies: ["CanonicalJSON"]),
    .testTarget(name: "TrainingCoreTests", dependencies: ["TrainingCore"]),
    .testTarget(
      name: "SweepSpecTests", dependencies: ["SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(
      name: "ArtifactsTests",
      dependencies: ["Artifacts", "SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(
      name: "OrchestratorTests",
      dependencies: ["Orchestrator", "SweepSpec", "Artifacts", "TrainingCore"]),
    .testTarget(
      name: "ReportTests",
      dependencies: ["Report", "Artifacts", "SweepSpec", "TrainingCore", "CanonicalJSON"]),
    .testTarget(name: "EndToEndTests", dependencies: ["CanonicalJSON"]),
  ]
)
