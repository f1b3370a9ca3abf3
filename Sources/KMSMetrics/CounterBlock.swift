import Synchronization

/// A fixed number of 64-bit counters, each an atomic, in one allocation.
///
/// Meant to be owned by one writer (a worker thread) and summed by readers at scrape time:
/// a relaxed atomic add on a cache line nobody else writes costs a few cycles and no lock.
public final class CounterBlock: @unchecked Sendable {
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    /// How many counters the block holds.
    public let count: Int

    public init(count: Int) {
        precondition(count > 0)
        self.count = count
        cells = .allocate(capacity: count)
        for i in 0..<count { (cells + i).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: count)
        cells.deallocate()
    }

    /// Adds `amount` to counter `index` (wrapping, as counters do after 2^64).
    @inline(__always)
    public func add(_ index: Int, _ amount: UInt64 = 1) {
        cells[index].wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current value of counter `index`.
    public func load(_ index: Int) -> UInt64 {
        cells[index].load(ordering: .relaxed)
    }

    /// Adds every counter of this block into `totals` (same count).
    public func accumulate(into totals: inout [UInt64]) {
        precondition(totals.count == count)
        for i in 0..<count { totals[i] &+= cells[i].load(ordering: .relaxed) }
    }
}
