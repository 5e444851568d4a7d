/* The observation a STATE becomes, feature by feature as the controller spec lists them. The arithmetic is
 * mirrored in tinyctl/controllers/glue.py operation for operation (float32, same order, and -std=c99 keeps
 * gcc from fusing multiply-adds), so host and firmware agree to the bit. */
#include "tc_controller.h"

#include <math.h>

typedef struct {
    uint8_t kind;
    uint8_t offset;
    uint8_t size;
    float clip;      /* symmetric limit per component; 0: none */
} tc_feature_t;

static const tc_feature_t tc_features[TC_FEATURE_COUNT] = TC_FEATURES_INIT;

static void rotation_matrix(const float q[4], float r[9])
{
    float inv = 1.0f / sqrtf(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    float w = q[0] * inv, x = q[1] * inv, y = q[2] * inv, z = q[3] * inv;
    r[0] = 1.0f - 2.0f * (y * y + z * z);
    r[1] = 2.0f * (x * y - w * z);
    r[2] = 2.0f * (x * z + w * y);
    r[3] = 2.0f * (x * y + w * z);
    r[4] = 1.0f - 2.0f * (x * x + z * z);
    r[5] = 2.0f * (y * z - w * x);
    r[6] = 2.0f * (x * z - w * y);
    r[7] = 2.0f * (y * z + w * x);
    r[8] = 1.0f - 2.0f * (x * x + y * y);
}

static void difference(const float *a, const float *b, float *out, int n)
{
    for (int i = 0; i < n; ++i)
        out[i] = a[i] - b[i];
}

static void copy(const float *a, float *out, int n)
{
    for (int i = 0; i < n; ++i)
        out[i] = a[i];
}

int tc_observation_build(const tc_state_t *s, const float previous_action[TC_ACTION_SIZE],
                         float obs[TC_OBSERVATION_SIZE])
{
    int clipped = 0;
    for (int f = 0; f < TC_FEATURE_COUNT; ++f) {
        const tc_feature_t *ft = &tc_features[f];
        float *out = obs + ft->offset;
        switch (ft->kind) {
        case TC_FEATURE_POSITION_ERROR: difference(s->position, s->target_position, out, 3); break;
        case TC_FEATURE_ROTATION_MATRIX: rotation_matrix(s->quaternion, out); break;
        case TC_FEATURE_VELOCITY_ERROR: difference(s->velocity, s->target_velocity, out, 3); break;
        case TC_FEATURE_BODY_RATES: copy(s->body_rates, out, 3); break;
        case TC_FEATURE_PREVIOUS_ACTION: copy(previous_action, out, TC_ACTION_SIZE); break;
        default: break;
        }
        if (ft->clip > 0.0f) {
            for (int i = 0; i < ft->size; ++i) {
                if (out[i] > ft->clip) {
                    out[i] = ft->clip;
                    clipped = 1;
                } else if (out[i] < -ft->clip) {
                    out[i] = -ft->clip;
                    clipped = 1;
                }
            }
        }
    }
    return clipped;
}
