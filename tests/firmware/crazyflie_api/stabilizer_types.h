#ifndef STABILIZER_TYPES_H
#define STABILIZER_TYPES_H
#include <stdbool.h>
#include <stdint.h>

#define STABILIZER_NR_OF_MOTORS 4
#define RATE_1000_HZ 1000
#define RATE_500_HZ 500
#define RATE_MAIN_LOOP RATE_1000_HZ
#define RATE_DO_EXECUTE(RATE_HZ, TICK) ((TICK % (RATE_MAIN_LOOP / RATE_HZ)) == 0)

typedef union { struct { float x, y, z; }; float axis[3]; } Axis3f;
typedef struct attitude_s { uint32_t timestamp; float roll, pitch, yaw; } attitude_t;
struct vec3_s { uint32_t timestamp; float x, y, z; };
typedef struct vec3_s point_t;
typedef struct vec3_s velocity_t;
typedef struct vec3_s acc_t;
typedef struct quaternion_s {
    uint32_t timestamp;
    union { struct { float q0, q1, q2, q3; }; struct { float x, y, z, w; }; };
} quaternion_t;
typedef struct baro_s { float pressure, temperature, asl; } baro_t;
typedef struct sensorData_s { Axis3f acc, gyro, mag; baro_t baro; uint64_t interruptTimestamp; } sensorData_t;
typedef struct state_s { attitude_t attitude; quaternion_t attitudeQuaternion; point_t position; velocity_t velocity;
                         acc_t acc; } state_t;
typedef enum control_mode_e { controlModeLegacy = 0, controlModeForceTorque, controlModeForce } control_mode_t;
typedef struct control_s {
    union {
        struct { int16_t roll, pitch, yaw; float thrust; };
        struct { float thrustSi; union { float torque[3]; struct { float torqueX, torqueY, torqueZ; }; }; };
        float normalizedForces[STABILIZER_NR_OF_MOTORS];
    };
    control_mode_t controlMode;
} control_t;
typedef enum mode_e { modeDisable = 0, modeAbs, modeVelocity } stab_mode_t;
typedef struct setpoint_s {
    uint32_t timestamp;
    attitude_t attitude, attitudeRate;
    quaternion_t attitudeQuaternion;
    float thrust;
    point_t position;
    velocity_t velocity;
    acc_t acceleration;
    bool velocity_body;
    struct { stab_mode_t x, y, z, roll, pitch, yaw, quat; } mode;
} setpoint_t;
typedef uint32_t stabilizerStep_t;
#endif
