extension SecureBytes {
    /// What the buffer knows about itself.
    struct Header {
        /// Bytes of the secret, from the start of the buffer.
        var count: Int
        /// Every byte the allocator gave (at least `count`): all of them are zeroed at release.
        let capacity: Int
    }

    /// The one heap allocation behind a `SecureBytes`: header and bytes together.
    final class Backing: ManagedBuffer<Header, UInt8> {
        /// A buffer holding `count` zero bytes. Its whole capacity starts zeroed, so every byte of
        /// it is initialised memory from the start to the end.
        static func make(count: Int) -> Backing {
            let buffer = unsafeDowncast(Backing.create(minimumCapacity: count) { made in
                // ManagedBuffer.capacity asks the allocator (malloc_usable_size): ask once, keep it.
                Header(count: count, capacity: made.capacity)
            }, to: Backing.self)
            buffer.withUnsafeMutablePointers { header, elements in
                elements.initialize(repeating: 0, count: header.pointee.capacity)
            }
            return buffer
        }

        /// A buffer holding a copy of `bytes`.
        static func make(copying bytes: UnsafeRawBufferPointer) -> Backing {
            let buffer = make(count: bytes.count)
            if let source = bytes.baseAddress, bytes.count > 0 {
                buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0).copyMemory(from: source, byteCount: bytes.count) }
            }
            return buffer
        }

        deinit {
            withUnsafeMutablePointers { header, elements in
                let whole = UnsafeMutableRawBufferPointer(start: elements, count: header.pointee.capacity)
                SecureBytes.wipe(whole)
                #if DEBUG
                SecureBytes.releaseObserver?(ObjectIdentifier(self), UnsafeRawBufferPointer(whole))
                #endif
            }
        }
    }

    #if DEBUG
    /// Test hook (debug builds only): called by every buffer's `deinit` after it zeroed itself,
    /// with the whole capacity as it is handed back to the allocator. Set only while a single test
    /// runs; the release path of a production build has no such call.
    nonisolated(unsafe) static var releaseObserver: ((ObjectIdentifier, UnsafeRawBufferPointer) -> Void)?
    #endif
}
