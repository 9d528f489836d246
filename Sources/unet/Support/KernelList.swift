import UNet

/// The kernels of a compiled network as lines for the terminal: a count,
/// then one line per primitive, implementation first, reference
/// implementations marked.
struct KernelList: CustomStringConvertible {
  let kernels: [Kernel]

  init(_ kernels: [Kernel]) { self.kernels = kernels }

  var references: [Kernel] { kernels.filter(\.isReference) }

  var summary: String {
    let slow = references.count
    return "kernels: \(kernels.count) primitives per step, "
      + (slow == 0 ? "none a reference implementation" : "\(slow) reference implementation\(slow == 1 ? "" : "s") (slow)")
  }

  var description: String {
    let width = kernels.map(\.implementation.count).max() ?? 0
    let lines = kernels.map { kernel in
      let name = kernel.implementation.padding(toLength: width, withPad: " ", startingAt: 0)
      return "  \(name)  \(kernel.operation)" + (kernel.isReference ? "  <- reference implementation" : "")
    }
    return ([summary] + lines).joined(separator: "\n")
  }
}
