using System.Buffers;

namespace CacheSerial.TestSupport.Codecs;

/// <summary>Payloads as multi-segment sequences, as a store or pipe may hand them to a codec.</summary>
public static class Sequences
{
    /// <summary>The bytes as a sequence of segments of <paramref name="segmentSize"/> bytes.</summary>
    public static ReadOnlySequence<byte> Segmented(ReadOnlyMemory<byte> bytes, int segmentSize)
    {
        if (bytes.Length <= segmentSize)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentSize)
        {
            var slice = bytes.Slice(offset, Math.Min(segmentSize, bytes.Length - offset));
            if (first is null)
            {
                first = last = new Segment(slice, 0);
            }
            else
            {
                last = last!.Append(slice);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
