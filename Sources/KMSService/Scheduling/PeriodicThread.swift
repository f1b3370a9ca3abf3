import Foundation

/// A thread that runs `body` every `interval` seconds until `stop()`, which wakes it, lets it run
/// `body` a last time, and returns once it has finished — so work in hand (a job, a batch of
/// audit records) is never cut off.
final class PeriodicThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var running = false
    private var finished = true
    private let name: String
    private let interval: TimeInterval
    private let body: () -> Void

    init(name: String, interval: TimeInterval, body: @escaping () -> Void) {
        self.name = name
        self.interval = interval
        self.body = body
    }

    /// Starts the thread (idempotent); the first run is immediate.
    func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        running = true
        finished = false
        let thread = Thread { [self] in
            while true {
                body()
                condition.lock()
                if running { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
                let keepGoing = running
                condition.unlock()
                if !keepGoing { break }
            }
            body()
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
