import XCTest
import Foundation
@testable import KMSService

/// The buffered log writer: batches reach the file in order, and a reopen after a rename
/// (what logrotate does) moves later lines to the new file without losing any.
final class LogSinkTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "kms-log-sink-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private func line(_ n: Int) -> [UInt8] { Array("{\"n\":\(n)}\n".utf8) }

    func testLinesWaitInTheBufferUntilFlushed() throws {
        let path = directory + "/a.log"
        let sink = try LogSink(path: path)
        sink.append(line(1))
        XCTAssertEqual(contents(path), "", "no write(2) per line")
        sink.flush()
        XCTAssertEqual(contents(path), "{\"n\":1}\n")
    }

    func testAFullBufferIsWrittenAtOnce() throws {
        let path = directory + "/b.log"
        let sink = try LogSink(path: path, capacity: 64)
        for n in 0..<10 { sink.append(line(n)) }
        XCTAssertGreaterThanOrEqual(contents(path).utf8.count, 64, "a full buffer does not wait for the flusher")
    }

    func testTheBackgroundThreadWritesWithinAFewFlushIntervals() throws {
        let path = directory + "/c.log"
        let sink = try LogSink(path: path)
        sink.startFlushing()
        defer { sink.stopFlushing() }
        sink.append(line(7))
        let deadline = Date().addingTimeInterval(2)
        while contents(path).isEmpty && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(contents(path), "{\"n\":7}\n")
    }

    func testReopenAfterRenameLosesNoLineAndWritesOnUnderTheName() throws {
        let path = directory + "/d.log"
        let sink = try LogSink(path: path, capacity: 512)
        sink.startFlushing()
        let writers = 4, perWriter = 2_000
        let group = DispatchGroup()
        for w in 0..<writers {
            DispatchQueue.global().async(group: group) {
                for i in 0..<perWriter { sink.append(self.line(w * perWriter + i)) }
            }
        }
        // The rotation happens while the writers run (how far they got does not matter).
        usleep(2_000)
        XCTAssertEqual(rename(path, path + ".1"), 0)
        XCTAssertNil(sink.reopen())
        group.wait()
        let after = writers * perWriter
        for n in after..<after + 100 { sink.append(line(n)) }
        sink.stopFlushing()
        let old = contents(path + ".1"), new = contents(path)
        XCTAssertTrue(new.contains("{\"n\":\(after)}\n"), "lines after the reopen go to the new file")
        let numbers = (old + new).split(separator: "\n").map { String($0) }
        XCTAssertEqual(numbers.count, after + 100, "every line is in one of the two files, once")
        XCTAssertEqual(Set(numbers).count, after + 100)
    }

    func testReopenThatCannotOpenKeepsWritingToTheOldFile() throws {
        let sub = directory + "/gone"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        let path = sub + "/e.log"
        let sink = try LogSink(path: path)
        XCTAssertEqual(rename(sub, directory + "/moved"), 0)
        XCTAssertNotNil(sink.reopen(), "the directory is gone: the reopen fails and says why")
        sink.append(line(1))
        sink.flush()
        XCTAssertEqual(contents(directory + "/moved/e.log"), "{\"n\":1}\n")
    }

    func testAnUnopenableFileIsAnErrorNamingIt() {
        XCTAssertThrowsError(try LogSink(path: directory + "/no/such/dir/f.log")) { error in
            XCTAssertTrue("\(error)".contains("/no/such/dir/f.log"), "\(error)")
        }
    }
}
