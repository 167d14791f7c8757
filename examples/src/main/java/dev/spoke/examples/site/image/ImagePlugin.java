package dev.spoke.examples.site.image;

import com.google.protobuf.UnsafeByteOperations;
import dev.spoke.Status;
import dev.spoke.examples.site.api.Asset;
import dev.spoke.examples.site.api.AssetRequest;
import dev.spoke.examples.site.api.DecodeRequest;
import dev.spoke.examples.site.api.EncodedImage;
import dev.spoke.examples.site.api.ImageProcessorSpoke;
import dev.spoke.examples.site.api.RawImage;
import dev.spoke.examples.site.api.SiteHostSpoke;
import dev.spoke.examples.site.api.TransformRequest;
import dev.spoke.peer.SpokePeer;
import dev.spoke.stub.StreamObserver;
import java.io.IOException;

/**
 * The image plugin: serves {@code ImageProcessor}. It fetches the PNGs it decodes from the host
 * ({@code SiteHost.ReadAsset}); raw images travel as RGBA pixels both ways.
 */
public final class ImagePlugin {

  private ImagePlugin() {}

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    peer.addService(new ImageService(SiteHostSpoke.newBlockingStub(peer.hostChannel())));
    peer.serve();
  }

  /** Decodes, transforms and encodes images. */
  static final class ImageService extends ImageProcessorSpoke.ImageProcessorImplBase {
    private final SiteHostSpoke.SiteHostBlockingStub host;

    ImageService(SiteHostSpoke.SiteHostBlockingStub host) {
      this.host = host;
    }

    @Override
    public void decode(DecodeRequest request, StreamObserver<RawImage> response) {
      Asset png = host.readAsset(AssetRequest.newBuilder().setPath(request.getPath()).build());
      try {
        response.onNext(toProto(Pixels.decode(png.getContent().toByteArray())));
      } catch (IOException | IllegalArgumentException e) {
        throw Status.INVALID_ARGUMENT.withDescription(request.getPath() + ": " + e.getMessage()).asRuntimeException();
      }
      response.onCompleted();
    }

    @Override
    public void transform(TransformRequest request, StreamObserver<RawImage> response) {
      Pixels image = fromProto(request.getImage()).fitWidth(request.getMaxWidth());
      response.onNext(toProto(request.getGrayscale() ? image.grayscale() : image));
      response.onCompleted();
    }

    @Override
    public void encode(RawImage request, StreamObserver<EncodedImage> response) {
      try {
        byte[] png = fromProto(request).encodePng();
        response.onNext(EncodedImage.newBuilder().setPng(UnsafeByteOperations.unsafeWrap(png)).build());
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("encoding a PNG failed: " + e.getMessage()).asRuntimeException();
      }
      response.onCompleted();
    }

    private static Pixels fromProto(RawImage image) {
      try {
        return new Pixels(image.getWidth(), image.getHeight(), image.getRgba().toByteArray());
      } catch (IllegalArgumentException e) {
        throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
      }
    }
  }

  /** The message for {@code image}; its pixel array is shared, not copied. */
  static RawImage toProto(Pixels image) {
    return RawImage.newBuilder()
        .setWidth(image.width)
        .setHeight(image.height)
        .setRgba(UnsafeByteOperations.unsafeWrap(image.rgba))
        .build();
  }
}
