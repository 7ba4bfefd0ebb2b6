#include "tools/sim/video_render.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "tools/sim/png_render.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
}

namespace mediagw::sim {
namespace {

constexpr int kIoBufferSize = 4096;

// ---- libav resources ------------------------------------------------------

struct CodecContextFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
// The buffer may have been replaced by libav since allocation: free the
// current one, not the one we handed in.
struct IoContextFree {
  void operator()(AVIOContext* io) const {
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
};
struct OutputContextFree {
  void operator()(AVFormatContext* f) const { avformat_free_context(f); }
};
struct InputContextFree {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFree>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextFree>;

absl::Status AvError(absl::string_view what, int err) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, text, sizeof(text));
  return absl::InternalError(absl::StrCat("libav: ", what, ": ", text));
}

void QuietLibavOnce() {
  static const bool kQuiet = [] {
    av_log_set_level(AV_LOG_ERROR);
    return true;
  }();
  (void)kQuiet;
}

// ---- in-memory files ------------------------------------------------------

struct MemoryFile {
  std::string data;
  int64_t pos = 0;
};

int64_t SeekTarget(int64_t pos, int64_t size, int64_t offset, int whence) {
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET:
      return offset;
    case SEEK_CUR:
      return pos + offset;
    case SEEK_END:
      return size + offset;
    default:
      return -1;
  }
}

int WriteToMemory(void* opaque, uint8_t* buf, int size) {
  auto* f = static_cast<MemoryFile*>(opaque);
  const size_t end = static_cast<size_t>(f->pos) + static_cast<size_t>(size);
  if (end > f->data.size()) f->data.resize(end);
  std::memcpy(&f->data[static_cast<size_t>(f->pos)], buf,
              static_cast<size_t>(size));
  f->pos = static_cast<int64_t>(end);
  return size;
}

int64_t SeekInMemory(void* opaque, int64_t offset, int whence) {
  auto* f = static_cast<MemoryFile*>(opaque);
  const int64_t size = static_cast<int64_t>(f->data.size());
  if (whence == AVSEEK_SIZE) return size;
  const int64_t target = SeekTarget(f->pos, size, offset, whence);
  if (target < 0) return AVERROR(EINVAL);
  f->pos = target;
  return target;
}

struct MemoryReader {
  absl::string_view data;
  int64_t pos = 0;
};

int ReadFromMemory(void* opaque, uint8_t* buf, int size) {
  auto* r = static_cast<MemoryReader*>(opaque);
  const int64_t left = static_cast<int64_t>(r->data.size()) - r->pos;
  if (left <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buf, r->data.data() + r->pos, static_cast<size_t>(n));
  r->pos += n;
  return n;
}

int64_t SeekInReader(void* opaque, int64_t offset, int whence) {
  auto* r = static_cast<MemoryReader*>(opaque);
  const int64_t size = static_cast<int64_t>(r->data.size());
  if (whence == AVSEEK_SIZE) return size;
  const int64_t target = SeekTarget(r->pos, size, offset, whence);
  if (target < 0 || target > size) return AVERROR(EINVAL);
  r->pos = target;
  return target;
}

absl::StatusOr<IoContextPtr> NewIo(void* opaque, bool write) {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return absl::InternalError("libav: out of memory");
  AVIOContext* io =
      write ? avio_alloc_context(buffer, kIoBufferSize, 1, opaque, nullptr,
                                 WriteToMemory, SeekInMemory)
            : avio_alloc_context(buffer, kIoBufferSize, 0, opaque,
                                 ReadFromMemory, nullptr, SeekInReader);
  if (io == nullptr) {
    av_free(buffer);
    return absl::InternalError("libav: cannot allocate an I/O context");
  }
  return IoContextPtr(io);
}

// ---- pictures ---------------------------------------------------------------

uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct Yuv {
  uint8_t y, u, v;
};

Yuv RandomColor(uint64_t& state) {
  const uint64_t bits = NextRandom(state);
  const int r = static_cast<uint8_t>(bits);
  const int g = static_cast<uint8_t>(bits >> 8);
  const int b = static_cast<uint8_t>(bits >> 16);
  // BT.601 limited range, as yuv420p expects.
  return Yuv{
      static_cast<uint8_t>(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16),
      static_cast<uint8_t>(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128),
      static_cast<uint8_t>(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128)};
}

uint8_t Mix(uint8_t a, uint8_t b, int64_t num, int64_t den) {
  return static_cast<uint8_t>((a * (den - num) + b * num) / den);
}

// A gradient from one corner colour to the other and a disc travelling
// from one random point to another over the clip.
struct Scene {
  int width = 0;
  int height = 0;
  int frames = 1;
  Yuv from, to, disc;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int radius = 1;

  Yuv At(int x, int y, int frame) const {
    const int64_t span = std::max(frames - 1, 1);
    const int64_t cx = x0 + (int64_t{x1} - x0) * frame / span;
    const int64_t cy = y0 + (int64_t{y1} - y0) * frame / span;
    const int64_t dx = x - cx, dy = y - cy;
    if (dx * dx + dy * dy <= int64_t{radius} * radius) return disc;
    const int64_t den = int64_t{width} + height;
    const int64_t num = int64_t{x} + y;
    return Yuv{Mix(from.y, to.y, num, den), Mix(from.u, to.u, num, den),
               Mix(from.v, to.v, num, den)};
  }
};

Scene MakeScene(int width, int height, int frames, int64_t seed,
                absl::string_view prompt) {
  uint64_t state = HashBytes(prompt);
  state = HashBytes(absl::StrCat(seed, "/video"), state);
  Scene s;
  s.width = width;
  s.height = height;
  s.frames = frames;
  s.from = RandomColor(state);
  s.to = RandomColor(state);
  s.disc = RandomColor(state);
  s.x0 = static_cast<int>(NextRandom(state) % static_cast<uint64_t>(width));
  s.y0 = static_cast<int>(NextRandom(state) % static_cast<uint64_t>(height));
  s.x1 = static_cast<int>(NextRandom(state) % static_cast<uint64_t>(width));
  s.y1 = static_cast<int>(NextRandom(state) % static_cast<uint64_t>(height));
  s.radius = std::max(1, std::min(width, height) / 5);
  return s;
}

void Draw(const Scene& scene, int index, AVFrame* frame) {
  for (int y = 0; y < scene.height; ++y) {
    uint8_t* row =
        frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
    for (int x = 0; x < scene.width; ++x) row[x] = scene.At(x, y, index).y;
  }
  for (int y = 0; y < scene.height / 2; ++y) {
    uint8_t* u =
        frame->data[1] + static_cast<ptrdiff_t>(y) * frame->linesize[1];
    uint8_t* v =
        frame->data[2] + static_cast<ptrdiff_t>(y) * frame->linesize[2];
    for (int x = 0; x < scene.width / 2; ++x) {
      const Yuv p = scene.At(2 * x, 2 * y, index);
      u[x] = p.u;
      v[x] = p.v;
    }
  }
}

// ---- encoding ---------------------------------------------------------------

absl::StatusOr<CodecContextPtr> OpenEncoder(int width, int height, int fps,
                                            bool global_header) {
  // H.264 is what real image-to-video workflows hand out; MPEG-4 part 2 is
  // always built into libavcodec, so it is the fallback.
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (codec == nullptr) {
    return absl::InternalError("libav: neither libx264 nor mpeg4 is available");
  }
  CodecContextPtr c(avcodec_alloc_context3(codec));
  if (c == nullptr) return absl::InternalError("libav: out of memory");
  c->width = width;
  c->height = height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = AVRational{1, fps};
  c->framerate = AVRational{fps, 1};
  c->gop_size = 12;
  c->max_b_frames = 0;
  // One thread and bit-exact output keep the bytes a function of the inputs.
  c->thread_count = 1;
  c->flags |= AV_CODEC_FLAG_BITEXACT;
  if (global_header) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (codec->id == AV_CODEC_ID_H264) {
    av_opt_set(c->priv_data, "preset", "ultrafast", 0);
  } else {
    c->bit_rate = 400000;
  }
  if (int err = avcodec_open2(c.get(), codec, nullptr); err < 0) {
    return AvError(absl::StrCat("cannot open encoder ", codec->name), err);
  }
  return c;
}

// Sends `frame` (nullptr: flush) and writes every packet it produces.
absl::Status EncodeAndWrite(AVCodecContext* c, AVFrame* frame,
                            AVFormatContext* out, AVStream* stream,
                            AVPacket* packet) {
  if (int err = avcodec_send_frame(c, frame); err < 0) {
    return AvError("encode", err);
  }
  while (true) {
    const int err = avcodec_receive_packet(c, packet);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return absl::OkStatus();
    if (err < 0) return AvError("encode", err);
    // Encoders leave it 0; the muxer then cuts the last frame from the
    // clip's edit list, so every frame lasts one tick of 1/fps.
    if (packet->duration == 0) packet->duration = 1;
    av_packet_rescale_ts(packet, c->time_base, stream->time_base);
    packet->stream_index = stream->index;
    // Takes the packet's reference and leaves it blank for the next one.
    if (int w = av_interleaved_write_frame(out, packet); w < 0) {
      return AvError("write packet", w);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> RenderMp4(int width, int height, int frames,
                                      int64_t seed, absl::string_view prompt,
                                      int fps) {
  if (width < 2 || height < 2 || width > kMaxVideoSide ||
      height > kMaxVideoSide || width % 2 != 0 || height % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("video size ", width, "x", height,
                     " must be even and within 2..", kMaxVideoSide));
  }
  if (frames < 1 || frames > kMaxVideoFrames) {
    return absl::InvalidArgumentError(absl::StrCat(
        "video frame count ", frames, " out of range 1..", kMaxVideoFrames));
  }
  if (fps < 1 || fps > 120) {
    return absl::InvalidArgumentError(
        absl::StrCat("video frame rate ", fps, " out of range 1..120"));
  }
  QuietLibavOnce();

  AVFormatContext* raw_out = nullptr;
  if (int err =
          avformat_alloc_output_context2(&raw_out, nullptr, "mp4", nullptr);
      err < 0) {
    return AvError("mp4 muxer", err);
  }
  std::unique_ptr<AVFormatContext, OutputContextFree> out(raw_out);
  out->flags |= AVFMT_FLAG_BITEXACT;  // no library version in the file
  MemoryFile file;
  absl::StatusOr<IoContextPtr> io = NewIo(&file, /*write=*/true);
  if (!io.ok()) return io.status();
  out->pb = io->get();

  absl::StatusOr<CodecContextPtr> enc = OpenEncoder(
      width, height, fps, (out->oformat->flags & AVFMT_GLOBALHEADER) != 0);
  if (!enc.ok()) return enc.status();
  AVCodecContext* c = enc->get();
  AVStream* stream = avformat_new_stream(out.get(), nullptr);
  if (stream == nullptr) return absl::InternalError("libav: no stream");
  stream->time_base = c->time_base;
  if (int err = avcodec_parameters_from_context(stream->codecpar, c); err < 0) {
    return AvError("stream parameters", err);
  }
  if (int err = avformat_write_header(out.get(), nullptr); err < 0) {
    return AvError("mp4 header", err);
  }

  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  if (frame == nullptr || packet == nullptr) {
    return absl::InternalError("libav: out of memory");
  }
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  if (int err = av_frame_get_buffer(frame.get(), 0); err < 0) {
    return AvError("frame buffer", err);
  }
  const Scene scene = MakeScene(width, height, frames, seed, prompt);
  for (int i = 0; i < frames; ++i) {
    if (int err = av_frame_make_writable(frame.get()); err < 0) {
      return AvError("frame buffer", err);
    }
    Draw(scene, i, frame.get());
    frame->pts = i;
    absl::Status st =
        EncodeAndWrite(c, frame.get(), out.get(), stream, packet.get());
    if (!st.ok()) return st;
  }
  absl::Status st = EncodeAndWrite(c, nullptr, out.get(), stream, packet.get());
  if (!st.ok()) return st;
  if (int err = av_write_trailer(out.get()); err < 0) {
    return AvError("mp4 trailer", err);
  }
  avio_flush(out->pb);
  return std::move(file.data);
}

absl::StatusOr<VideoInfo> ProbeMp4(absl::string_view bytes) {
  QuietLibavOnce();
  MemoryReader reader{bytes, 0};
  absl::StatusOr<IoContextPtr> io = NewIo(&reader, /*write=*/false);
  if (!io.ok()) return io.status();
  AVFormatContext* raw_in = avformat_alloc_context();
  if (raw_in == nullptr) return absl::InternalError("libav: out of memory");
  raw_in->pb = io->get();
  raw_in->flags |= AVFMT_FLAG_CUSTOM_IO;
  // On failure avformat_open_input frees the context itself.
  if (int err = avformat_open_input(&raw_in, nullptr, nullptr, nullptr);
      err < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a readable container: ", AvError("open", err).message()));
  }
  std::unique_ptr<AVFormatContext, InputContextFree> in(raw_in);
  if (int err = avformat_find_stream_info(in.get(), nullptr); err < 0) {
    return absl::InvalidArgumentError("container without stream information");
  }
  const AVCodec* decoder = nullptr;
  const int index =
      av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (index < 0 || decoder == nullptr) {
    return absl::InvalidArgumentError("no decodable video stream");
  }
  const AVStream* stream = in->streams[index];
  CodecContextPtr dec(avcodec_alloc_context3(decoder));
  if (dec == nullptr) return absl::InternalError("libav: out of memory");
  if (avcodec_parameters_to_context(dec.get(), stream->codecpar) < 0 ||
      avcodec_open2(dec.get(), decoder, nullptr) < 0) {
    return absl::InvalidArgumentError("cannot open the video decoder");
  }
  VideoInfo info;
  info.format = in->iformat->name;
  info.codec = decoder->name;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  if (stream->avg_frame_rate.den != 0)
    info.fps = av_q2d(stream->avg_frame_rate);

  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  if (frame == nullptr || packet == nullptr) {
    return absl::InternalError("libav: out of memory");
  }
  auto drain = [&]() -> absl::Status {
    while (true) {
      const int err = avcodec_receive_frame(dec.get(), frame.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return absl::OkStatus();
      if (err < 0) return absl::InvalidArgumentError("undecodable frame");
      ++info.frames;
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(in.get(), packet.get()) >= 0) {
    const bool ours = packet->stream_index == index;
    const int err = ours ? avcodec_send_packet(dec.get(), packet.get()) : 0;
    av_packet_unref(packet.get());
    if (err < 0) return absl::InvalidArgumentError("undecodable packet");
    if (ours) {
      absl::Status st = drain();
      if (!st.ok()) return st;
    }
  }
  avcodec_send_packet(dec.get(), nullptr);
  absl::Status st = drain();
  if (!st.ok()) return st;
  if (info.frames == 0) return absl::InvalidArgumentError("no video frames");
  return info;
}

}  // namespace mediagw::sim
